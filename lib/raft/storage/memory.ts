/**
 * In-memory Storage: the reference implementation, the read mirror of FileStorage, and the storage of
 * the simulation. `entries[0]` is a dummy holding the snapshot's (index, term), so term(firstIndex-1)
 * needs no special case. Nothing here is durable: save() resolves at once.
 */
import {
  type ConfState,
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  type Entry,
  EntryType,
  type HardState,
  type Snapshot,
} from "../types.ts";
import type { InitialState, PersistUpdate, RaftStorage } from "./storage.ts";

export class MemoryStorage implements RaftStorage {
  protected hardState: HardState = EMPTY_HARD_STATE;
  protected currentSnapshot: Snapshot = EMPTY_SNAPSHOT;
  /** entries[i].index === entries[0].index + i; entries[0] is the snapshot marker. */
  protected log: Entry[] = [marker(0, 0)];

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.log.length - 1;
  }

  term(index: number): number | undefined {
    if (index < this.offset() || index > this.lastIndex()) return undefined;
    return this.log[index - this.offset()]?.term;
  }

  entries(lo: number, hi: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1 || lo > hi) {
      throw new Error(
        `raft storage: entries [${lo},${hi}) outside [${this.firstIndex()},${this.lastIndex() + 1})`,
      );
    }
    return this.log.slice(lo - this.offset(), hi - this.offset());
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  async save(update: PersistUpdate): Promise<void> {
    this.applyUpdate(update);
  }

  async compact(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    return this.compactInMemory(index, confState, data);
  }

  async close(): Promise<void> {}

  /** Synchronous form of save(), for the simulation and for FileStorage after its disk write. */
  applyUpdate(update: PersistUpdate): void {
    if (update.snapshot !== undefined) this.installSnapshot(update.snapshot);
    if (update.entries.length > 0) this.appendEntries(update.entries);
    if (update.hardState !== undefined) this.hardState = update.hardState;
  }

  compactInMemory(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.offset()) return this.currentSnapshot;
    if (index > this.lastIndex()) {
      throw new Error(`raft storage: cannot compact to ${index}, beyond the last index ${this.lastIndex()}`);
    }
    const term = this.term(index) ?? 0;
    this.currentSnapshot = { metadata: { index, term, confState }, data };
    this.log = [marker(index, term), ...this.log.slice(index - this.offset() + 1)];
    return this.currentSnapshot;
  }

  protected installSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    if (index <= this.offset()) return;
    this.currentSnapshot = snapshot;
    // Keep entries beyond the snapshot only if they continue it (same term at its index).
    const keep = this.term(index) === term ? this.log.slice(index - this.offset() + 1) : [];
    this.log = [marker(index, term), ...keep];
  }

  protected appendEntries(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`raft storage: append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    }
    // Entries already covered by the snapshot are skipped; the rest replace any suffix from their index.
    const fresh = entries.filter((entry) => entry.index > this.offset());
    const head = fresh[0];
    if (head === undefined) return;
    this.log.length = head.index - this.offset();
    for (const entry of fresh) this.log.push(entry);
  }

  protected offset(): number {
    return this.log[0]?.index ?? 0;
  }
}

function marker(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}
