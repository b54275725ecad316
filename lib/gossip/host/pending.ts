/**
 * Bounds on deliveries awaiting their AES-GCM open. WebCrypto's decrypt is asynchronous, so each delivery holds its
 * bytes, a promise and a crypto job until it settles; a flood faster than decryption would queue without end.
 * Three lanes, each with its own bound: datagrams from live members' gossip addresses (so a flood cannot crowd out
 * the probes and acks that keep us a member), datagrams from anyone else, and push-pull frames (up to 64 KiB each).
 * A delivery that finds its lane full is dropped at once, before any work, and counted as overloaded.
 */
import {
  MAX_PENDING_FRAME_OPENS,
  MAX_PENDING_MEMBER_OPENS,
  MAX_PENDING_STRANGER_OPENS,
} from "../defaults.ts";

export type OpenLane = "member" | "stranger" | "frame";

export const DEFAULT_PENDING_LIMITS: Readonly<Record<OpenLane, number>> = {
  member: MAX_PENDING_MEMBER_OPENS,
  stranger: MAX_PENDING_STRANGER_OPENS,
  frame: MAX_PENDING_FRAME_OPENS,
};

export class PendingOpens {
  private readonly inFlight: Record<OpenLane, number> = { member: 0, stranger: 0, frame: 0 };
  private readonly limits: Readonly<Record<OpenLane, number>>;

  constructor(limits: Partial<Record<OpenLane, number>> = {}) {
    this.limits = { ...DEFAULT_PENDING_LIMITS, ...limits };
  }

  count(lane: OpenLane): number {
    return this.inFlight[lane];
  }

  /** Takes a place in `lane`; false when it is full (the caller drops the delivery). */
  tryAcquire(lane: OpenLane): boolean {
    if (this.inFlight[lane] >= this.limits[lane]) return false;
    this.inFlight[lane]++;
    return true;
  }

  release(lane: OpenLane): void {
    if (this.inFlight[lane] > 0) this.inFlight[lane]--;
  }
}
