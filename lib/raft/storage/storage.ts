/**
 * The durable layer of the Raft log, owned by the host.
 * - `Storage` is what the pure core reads, synchronously (implementations keep an in-memory mirror).
 * - `RaftStorage` adds the host's asynchronous writes; each promise resolves only once the data is
 *   durable (fsync'd for the file storage), which is what makes "persist before send" meaningful.
 * Indexes: entries cover [firstIndex(), lastIndex()]; everything up to firstIndex()-1 lives in the
 * snapshot; `term(firstIndex()-1)` is the snapshot's term.
 */
import type { ConfState, Entry, HardState, Snapshot } from "../types.ts";

export interface InitialState {
  readonly hardState: HardState;
  /** Membership as of the snapshot; later committed changes are replayed from the log by the core. */
  readonly confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /** Entries in [lo, hi). Throws when lo < firstIndex() or hi > lastIndex()+1 (a caller bug). */
  entries(lo: number, hi: number): Entry[];
  /** Term of the entry at `index`, or undefined when it is compacted (below firstIndex()-1) or beyond lastIndex(). */
  term(index: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/** What one Ready asks the host to make durable, in the order it is applied: snapshot, entries, hard state. */
export interface PersistUpdate {
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
}

export interface RaftStorage extends Storage {
  /**
   * Makes the update durable. Entries overwrite any existing suffix starting at their first index
   * (a follower truncating a conflicting tail).
   */
  save(update: PersistUpdate): Promise<void>;
  /**
   * Records a snapshot of the host's state machine at `index` (which must be applied) and drops the
   * log entries it covers. `confState` is the membership at `index` (RaftNode.confStateAt gives it).
   */
  compact(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot>;
  close(): Promise<void>;
}
