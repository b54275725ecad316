/**
 * FileStorage: durable Raft storage in one directory (RAFT_DIR), read through an in-memory mirror.
 * Files (each made of CRC32-framed records, see record.ts):
 * - `log`: append-only entries. A record whose index is <= the current last index replaces the tail
 *   from that index (a follower overwriting a conflicting suffix). Rewritten atomically on compaction.
 * - `hardstate`: term, vote, commit; replaced atomically.
 * - `snapshot`: the newest snapshot; replaced atomically before the log is compacted.
 * Every write resolves only after fsync. On open, a torn tail of `log` is truncated; corruption anywhere
 * else throws CorruptFileError naming the file. Writes are serialized, so callers may overlap them.
 */
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { ConfState, Entry, Snapshot } from "../types.ts";
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
} from "./codec.ts";
import { appendAndSync, readOptional, removeLeftoverTmp, writeFileAtomic } from "./files.ts";
import { MemoryStorage } from "./memory.ts";
import { CorruptFileError, frameRecord, readRecords } from "./record.ts";
import type { PersistUpdate } from "./storage.ts";

const LOG_FILE = "log";
const HARD_STATE_FILE = "hardstate";
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
    for (const name of [LOG_FILE, HARD_STATE_FILE, SNAPSHOT_FILE]) await removeLeftoverTmp(dir, name);
    const snapshot = await readSingleRecord(dir, SNAPSHOT_FILE, decodeSnapshot);
    const hardState = await readSingleRecord(dir, HARD_STATE_FILE, decodeHardState);
    const logPath = join(dir, LOG_FILE);
    const scan = readRecords(logPath, (await readOptional(logPath)) ?? new Uint8Array(0));
    const handle = await open(logPath, "a+");
    const size = (await handle.stat()).size;
    if (scan.tornTail) {
      await handle.truncate(scan.validLength);
      await handle.sync();
    }
    const storage = new FileStorage(dir, handle, { truncatedTailBytes: size - scan.validLength });
    storage.logBytes = scan.validLength;
    if (snapshot !== undefined) storage.installSnapshot(snapshot);
    storage.replayLog(logPath, scan.payloads, snapshot);
    if (hardState !== undefined) storage.hardState = hardState;
    return storage;
  }

  override save(update: PersistUpdate): Promise<void> {
    return this.serialize(async () => {
      if (update.snapshot !== undefined) {
        await writeFileAtomic(this.dir, SNAPSHOT_FILE, frameRecord(encodeSnapshot(update.snapshot)));
        this.installSnapshot(update.snapshot);
        await this.rewriteLog();
      }
      if (update.entries.length > 0) {
        await this.appendRecords(concat(update.entries.map((entry) => frameRecord(encodeEntry(entry)))));
        this.appendEntries(update.entries);
      }
      if (update.hardState !== undefined) {
        await writeFileAtomic(this.dir, HARD_STATE_FILE, frameRecord(encodeHardState(update.hardState)));
        this.hardState = update.hardState;
      }
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

  private async appendRecords(bytes: Uint8Array): Promise<void> {
    try {
      await appendAndSync(this.logHandle, bytes);
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

  private replayLog(logPath: string, payloads: readonly Uint8Array[], snapshot: Snapshot | undefined): void {
    const entries = replayRecords(logPath, payloads);
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
        concat(entries.map((entry) => frameRecord(encodeEntry(entry)))),
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

/** Rebuilds the contiguous log: a record at or below the current end replaces the tail from its index. */
function replayRecords(logPath: string, payloads: readonly Uint8Array[]): Entry[] {
  const entries: Entry[] = [];
  payloads.forEach((payload, i) => {
    const entry = decodeEntry(payload, `${logPath} record ${i}`);
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
  return entries;
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
