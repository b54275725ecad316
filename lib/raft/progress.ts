/**
 * The leader's view of one follower's log (etcd-style), replacing ad-hoc `nextIndex--`:
 * - Probe: we don't know where the logs diverge; send one Append and wait (paused) for its answer
 *   or the next heartbeat response.
 * - Replicate: the follower is in sync; stream optimistically up to the inflight window.
 * - Snapshot: entries it needs are compacted; wait until the snapshot is applied (or reported lost).
 * Invariant: 0 <= match < next.
 */
import { Inflights } from "./inflights.ts";

export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  /** Highest index known to be stored on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = "probe";
  /** Probe: an Append is outstanding, don't send another until a response or heartbeat response. */
  probeSent = false;
  /** Snapshot: index of the snapshot being installed. */
  pendingSnapshot = 0;
  /** Snapshot: tick at which it was sent, so a lost snapshot is retried. */
  snapshotSentAt = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Highest leader tick echoed back by this follower (the send time of the newest acknowledged message). */
  leaseAck = Number.NEGATIVE_INFINITY;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.resetState("probe");
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState("replicate");
  }

  becomeSnapshot(snapshotIndex: number, tick: number): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
    this.snapshotSentAt = tick;
  }

  /** Returns false for a stale acknowledgement (one that tells us nothing new). */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Replicate state: assume the Append ending at `lastIndex` will succeed. */
  optimisticUpdate(lastIndex: number): void {
    this.next = lastIndex + 1;
  }

  /**
   * Handles a rejected Append for `rejected` with the follower's hint that the logs may match at
   * `matchHint`. Returns false when the rejection is stale (already superseded).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }
}
