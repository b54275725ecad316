/**
 * Membership over time: the configuration in effect after each configuration-change index, oldest
 * first, from the snapshot on. The host snapshots at an applied index and needs the membership *at
 * that index*, which can differ from the current one when a later change is already committed.
 */
import type { ConfState } from "./types.ts";

export class ConfHistory {
  private entries: { index: number; conf: ConfState }[];

  constructor(index: number, conf: ConfState) {
    this.entries = [{ index, conf }];
  }

  record(index: number, conf: ConfState): void {
    this.entries.push({ index, conf });
  }

  reset(index: number, conf: ConfState): void {
    this.entries = [{ index, conf }];
  }

  at(index: number): ConfState {
    let found = this.entries[0]?.conf;
    for (const entry of this.entries) if (entry.index <= index) found = entry.conf;
    if (found === undefined) throw new Error("raft: empty configuration history");
    return found;
  }

  /** Forgets changes superseded before `floor` (the log no longer reaches below it). */
  prune(floor: number): void {
    while (this.entries.length > 1 && (this.entries[1]?.index ?? Number.POSITIVE_INFINITY) <= floor) {
      this.entries.shift();
    }
  }
}
