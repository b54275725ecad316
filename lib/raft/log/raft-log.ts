/**
 * RaftLog composes the durable Storage (owned by the host) and the Unstable tail (owned by the core).
 * Reads at or beyond unstable.offset are answered by the unstable tail only: it may have replaced a
 * stale suffix that is still in storage until the host persists the next Ready.
 * Invariants (checked by assertInvariants):
 * - firstIndex-1 <= applied <= committed <= lastIndex (while a received snapshot is pending, applied
 *   may still be below it: the host applies the snapshot before advance() moves applied up)
 * - unstable.offset <= storage.lastIndex()+1 (the tail continues or replaces the durable log)
 */
import type { Storage } from "../storage/storage.ts";
import type { Entry, Snapshot } from "../types.ts";
import { Unstable } from "./unstable.ts";

export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known to be committed (durable on a quorum). */
  committed: number;
  /** Highest index handed to the host to apply and acknowledged by advance(). */
  applied: number;
  /** Told when entries from `index` on are discarded before the host could make them durable. */
  onDiscard: (index: number) => void = () => {};

  constructor(
    readonly storage: Storage,
    applied = 0,
  ) {
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    this.committed = Math.max(firstIndex - 1, storage.initialState().hardState.commit);
    this.applied = Math.max(firstIndex - 1, Math.min(applied, this.committed));
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    if (term === undefined) throw new Error(`raft: term of last index ${this.lastIndex()} unavailable`);
    return term;
  }

  /** Term at `index`, or undefined if compacted or beyond the end. */
  term(index: number): number | undefined {
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    // Beyond the tail, or inside a durable suffix the tail has replaced: no such entry.
    if (index >= this.unstable.offset) return undefined;
    // Below a pending snapshot, everything is gone.
    if (this.unstable.snapshot !== undefined) return undefined;
    if (index < this.storage.firstIndex() - 1) return undefined;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries in [lo, hi), reading storage then the unstable tail. Throws if lo is compacted. */
  slice(lo: number, hi: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1 || lo > hi) {
      throw new Error(
        `raft: slice [${lo},${hi}) out of bounds [${this.firstIndex()},${this.lastIndex() + 1})`,
      );
    }
    const offset = this.unstable.offset;
    const result: Entry[] = [];
    if (lo < offset) result.push(...this.storage.entries(lo, Math.min(hi, offset)));
    if (hi > offset) result.push(...this.unstable.slice(Math.max(lo, offset), hi));
    return result;
  }

  /** Up to `maxCount` entries from `lo`, or undefined when `lo` is compacted (send a snapshot instead). */
  entriesFrom(lo: number, maxCount: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    const last = this.lastIndex();
    if (lo > last) return [];
    return this.slice(lo, Math.min(last + 1, lo + maxCount));
  }

  /** The candidate's log is at least as up to date as ours (§5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of Append: if our log matches (index, logTerm), appends the new entries (truncating a
   * conflicting suffix), advances commit and returns the last index known to match the leader.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new Error(
          `raft: entry ${conflict} conflicts with committed entry (committed=${this.committed})`,
        );
      }
      this.append(entries.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    if (first.index - 1 < this.committed) {
      throw new Error(`raft: appending at ${first.index} would overwrite committed index ${this.committed}`);
    }
    if (first.index <= this.lastIndex()) this.onDiscard(first.index);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** First index whose term differs from ours (or that we lack); 0 when all are present and equal. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Largest index <= `index` whose term is <= `term` (fast back-off): every entry above it has a
   * larger term and so cannot match an entry of `term` or older.
   */
  findConflictByTerm(index: number, term: number): number {
    let candidate = Math.min(index, this.lastIndex());
    while (candidate > 0) {
      const ourTerm = this.term(candidate);
      if (ourTerm === undefined || ourTerm <= term) break;
      candidate--;
    }
    return candidate;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new Error(
        `raft: commit ${index} is beyond the last index ${this.lastIndex()} (log corrupt or truncated?)`,
      );
    }
    this.committed = index;
  }

  /** §5.4.2: a leader only counts replicas to commit an entry from its own term. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    if (index > this.committed || index < this.applied) {
      throw new Error(`raft: applied ${index} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = index;
  }

  hasNextCommittedEntries(): boolean {
    return this.unstable.snapshot === undefined && this.committed > this.applied;
  }

  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    return this.slice(Math.max(this.applied + 1, this.firstIndex()), this.committed + 1);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapshotTo(index: number): void {
    this.unstable.stableSnapshotTo(index);
  }

  /** The newest snapshot: the unstable one if pending, else the durable one. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(snapshot: Snapshot): void {
    if (snapshot.metadata.index < this.lastIndex()) this.onDiscard(snapshot.metadata.index + 1);
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  assertInvariants(): void {
    this.unstable.assertInvariants();
    const first = this.unstable.snapshot === undefined ? this.firstIndex() : this.storage.firstIndex();
    const last = this.lastIndex();
    if (!(first - 1 <= this.applied && this.applied <= this.committed && this.committed <= last)) {
      throw new Error(
        `raft: log invariant broken: first-1=${first - 1} applied=${this.applied} committed=${this.committed} last=${last}`,
      );
    }
    if (this.unstable.snapshot === undefined && this.unstable.offset > this.storage.lastIndex() + 1) {
      throw new Error(
        `raft: unstable offset ${this.unstable.offset} leaves a gap after ${this.storage.lastIndex()}`,
      );
    }
  }
}
