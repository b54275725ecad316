/**
 * FileStorage: durable Raft storage in one directory (RAFT_DIR), read through an in-memory mirror.
 * Files (each made of CRC32-framed records, see record.ts):
 * - `log`: append-only entry and hard-state records (codec.ts LogRecord). An entry whose index is <= the current
 *   last index replaces the tail from that index (a follower overwriting a conflicting suffix); the newest hard
 *   state wins. Rewritten atomically on compaction, starting with the current hard state.
 * - `snapshot`: the newest snapshot; replaced atomically before the log is compacted.
 * One save() is one append and at most one fsync. It resolves only once durable, except a save that changes
 * nothing but the commit index: that record is written without fsync (as etcd does), because a commit index lost
 * in a crash is learned again from the leader, and a lower one is always safe. On open, a torn tail of `log` is
 * truncated; corruption anywhere else throws CorruptFileError naming the file. Writes are serialized, so callers
 * may overlap them.
 */
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { ConfState, Entry, HardState, Snapshot } from "../types.ts";
import {
  decodeLogRecord,
  decodeSnapshot,
  encodeLogEntry,
  encodeLogHardState,
  encodeSnapshot,
} from "./codec.ts";
import { appendAll, readOptional, removeLeftoverTmp, writeFileAtomic } from "./files.ts";
import { MemoryStorage } from "./memory.ts";
import { CorruptFileError, frameRecord, readRecords } from "./record.ts";
import type { PersistUpdate } from "./storage.ts";

const LOG_FILE = "log";
const SNAPSHOT_FILE = "snapshot";

export interface FileStorageOptions {
  /** The directory (RAFT_DIR); created if missing. */
  readonly dir: string;
}

export interface RecoveryReport {
  /** Bytes cut from the end of `log` because the last append never completed. */
  readonly truncatedTailBytes: number;
}

export class FileStorage extends MemoryStorage {
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Bytes of whole records in `log`: a failed append is cut back to this, so no torn record ends up mid-file. */
  private logBytes = 0;
  /** Set when the log could not be repaired after a failed write; every later write refuses. */
  private broken: Error | undefined;

  private constructor(
    readonly dir: string,
    private logHandle: FileHandle,
    readonly recovery: RecoveryReport,
  ) {
    super();
  }

  static async open(options: FileStorageOptions): Promise<FileStorage> {
    const dir = options.dir;
    await mkdir(dir, { recursive: true });
    for (const name of [LOG_FILE, SNAPSHOT_FILE]) await removeLeftoverTmp(dir, name);
    const snapshot = await readSingleRecord(dir, SNAPSHOT_FILE, decodeSnapshot);
    const logPath = join(dir, LOG_FILE);
    const scan = readRecords(logPath, (await readOptional(logPath)) ?? new Uint8Array(0));
    // Decoded before the file is opened for writing: a corrupt log must leave neither a handle nor a truncation.
    const { entries, hardState } = replayRecords(logPath, scan.payloads);
    const handle = await open(logPath, "a+");
    try {
      const size = (await handle.stat()).size;
      if (scan.tornTail) {
        await handle.truncate(scan.validLength);
        await handle.sync();
      }
      const storage = new FileStorage(dir, handle, { truncatedTailBytes: size - scan.validLength });
      storage.logBytes = scan.validLength;
      if (snapshot !== undefined) storage.installSnapshot(snapshot);
      storage.keepEntriesAfter(logPath, entries, snapshot);
      if (hardState !== undefined) storage.hardState = hardState;
      return storage;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  override save(update: PersistUpdate): Promise<void> {
    return this.serialize(async () => {
      if (update.snapshot !== undefined) {
        await writeFileAtomic(this.dir, SNAPSHOT_FILE, frameRecord(encodeSnapshot(update.snapshot)));
        this.installSnapshot(update.snapshot);
        await this.rewriteLog();
      }
      const records = update.entries.map((entry) => frameRecord(encodeLogEntry(entry)));
      const hardState = update.hardState;
      if (hardState !== undefined) records.push(frameRecord(encodeLogHardState(hardState)));
      if (records.length === 0) return;
      const mustSync =
        update.entries.length > 0 || (hardState !== undefined && votesChanged(this.hardState, hardState));
      await this.appendRecords(concat(records), mustSync);
      if (update.entries.length > 0) this.appendEntries(update.entries);
      if (hardState !== undefined) this.hardState = hardState;
    });
  }

  override compact(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    return this.serialize(async () => {
      if (index <= this.firstIndex() - 1) return this.snapshot();
      const term = this.term(index);
      if (term === undefined) throw new Error(`raft storage: cannot compact to ${index}: no such entry`);
      const snapshot: Snapshot = { metadata: { index, term, confState }, data };
      await writeFileAtomic(this.dir, SNAPSHOT_FILE, frameRecord(encodeSnapshot(snapshot)));
      this.installSnapshot(snapshot);
      await this.rewriteLog();
      return snapshot;
    });
  }

  override close(): Promise<void> {
    return this.serialize(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.logHandle.close();
    });
  }

  private async appendRecords(bytes: Uint8Array, sync: boolean): Promise<void> {
    try {
      appendAll(this.logHandle, bytes);
      // fdatasync: the appended bytes and the file size, without the mtime journal commit fsync adds.
      if (sync) await this.logHandle.datasync();
      this.logBytes += bytes.length;
    } catch (error) {
      try {
        await this.logHandle.truncate(this.logBytes);
      } catch {
        this.broken = new Error(
          `raft storage: ${join(this.dir, LOG_FILE)} could not be repaired after a failed append`,
        );
      }
      throw error;
    }
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(() => {
      if (this.closed) throw new Error(`raft storage: ${this.dir} is closed`);
      if (this.broken !== undefined) throw this.broken;
      return work();
    });
    // A failed write must not wedge the queue, but its error still reaches its own caller.
    this.writes = run.catch(() => undefined);
    return run;
  }

  private keepEntriesAfter(logPath: string, entries: readonly Entry[], snapshot: Snapshot | undefined): void {
    const snapshotIndex = snapshot?.metadata.index ?? 0;
    const first = entries[0];
    if (first === undefined) return;
    const atSnapshot = entries[snapshotIndex - first.index];
    // A crash between writing a snapshot and rewriting the log leaves the old log: if it disagrees
    // with the snapshot at the snapshot's index, everything after it was superseded.
    if (snapshot !== undefined && atSnapshot !== undefined && atSnapshot.term !== snapshot.metadata.term)
      return;
    const kept = entries.filter((entry) => entry.index > snapshotIndex);
    const head = kept[0];
    if (head === undefined) return;
    if (head.index !== snapshotIndex + 1) {
      throw new CorruptFileError(
        logPath,
        `entry ${head.index}`,
        `the log starts after snapshot index ${snapshotIndex}`,
      );
    }
    this.appendEntries(kept);
  }

  /** Keeps only the entries after the snapshot, so the log stays bounded. */
  private async rewriteLog(): Promise<void> {
    const entries: Entry[] =
      this.lastIndex() >= this.firstIndex() ? this.entries(this.firstIndex(), this.lastIndex() + 1) : [];
    await this.logHandle.close();
    try {
      await writeFileAtomic(
        this.dir,
        LOG_FILE,
        concat([
          frameRecord(encodeLogHardState(this.hardState)),
          ...entries.map((entry) => frameRecord(encodeLogEntry(entry))),
        ]),
      );
    } finally {
      // Reopen whichever file is now in place, so a failed rewrite does not leave a closed handle.
      this.logHandle = await open(join(this.dir, LOG_FILE), "a+");
      this.logBytes = (await this.logHandle.stat()).size;
    }
  }
}

async function readSingleRecord<T>(
  dir: string,
  name: string,
  decode: (payload: Uint8Array, where: string) => T,
): Promise<T | undefined> {
  const path = join(dir, name);
  const bytes = await readOptional(path);
  if (bytes === undefined) return undefined;
  // Atomically replaced files are never torn, so any damage, even at the end, is corruption.
  const scan = readRecords(path, bytes);
  const payload = scan.payloads[0];
  if (scan.tornTail || scan.payloads.length !== 1 || payload === undefined) {
    throw new CorruptFileError(
      path,
      `byte ${scan.validLength}`,
      `expected exactly one record, found ${scan.payloads.length}`,
    );
  }
  return decode(payload, path);
}

/** A new term or vote must be durable before any message that depends on it leaves; a commit index need not. */
function votesChanged(before: HardState, after: HardState): boolean {
  return before.term !== after.term || before.vote !== after.vote;
}

/**
 * Rebuilds the contiguous log (an entry at or below the current end replaces the tail from its index) and the
 * newest hard state.
 */
function replayRecords(
  logPath: string,
  payloads: readonly Uint8Array[],
): { entries: Entry[]; hardState: HardState | undefined } {
  const entries: Entry[] = [];
  let hardState: HardState | undefined;
  payloads.forEach((payload, i) => {
    const record = decodeLogRecord(payload, `${logPath} record ${i}`);
    if (record.kind === "hardState") {
      hardState = record.hardState;
      return;
    }
    const entry = record.entry;
    const first = entries[0];
    if (first === undefined || entry.index < first.index) {
      entries.length = 0;
    } else if (entry.index > first.index + entries.length) {
      throw new CorruptFileError(logPath, `record ${i}`, `entry ${entry.index} leaves a gap`);
    } else {
      entries.length = entry.index - first.index;
    }
    entries.push(entry);
  });
  return { entries, hardState };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
