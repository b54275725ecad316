/**
 * The tail of the log that the core has accepted but the host has not yet made durable: at most one
 * incoming snapshot plus entries starting at `offset`.
 * Invariants: entries[i].index === offset + i; if a snapshot is present, offset === snapshot.index + 1.
 */
import type { Entry, Snapshot } from "../types.ts";

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];

  constructor(public offset: number) {}

  /** First index known only because of the pending snapshot. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index)
        return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]?.term;
  }

  /** The host made entries up to (index, term) durable; a mismatch means they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    const found = this.maybeTerm(index);
    if (found === undefined || found !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...entries);
    } else if (after <= this.offset) {
      // Replaces everything unstable; the stable part beyond `after` is overwritten when persisted.
      this.offset = after;
      this.entries = [...entries];
    } else {
      this.entries = [...this.entries.slice(0, after - this.offset), ...entries];
    }
  }

  slice(lo: number, hi: number): Entry[] {
    this.checkBounds(lo, hi);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }

  assertInvariants(): void {
    this.entries.forEach((entry, i) => {
      if (entry.index !== this.offset + i) {
        throw new Error(`raft: unstable entry ${i} has index ${entry.index}, expected ${this.offset + i}`);
      }
    });
    if (this.snapshot !== undefined && this.offset !== this.snapshot.metadata.index + 1) {
      throw new Error(
        `raft: unstable offset ${this.offset} does not follow snapshot ${this.snapshot.metadata.index}`,
      );
    }
  }

  private checkBounds(lo: number, hi: number): void {
    const upper = this.offset + this.entries.length;
    if (lo > hi || lo < this.offset || hi > upper) {
      throw new Error(`raft: unstable slice [${lo},${hi}) out of bounds [${this.offset},${upper})`);
    }
  }
}
