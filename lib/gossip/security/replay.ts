/**
 * The replay window: a sealed packet is accepted once, and only while its timestamp is within
 * REPLAY_WINDOW_MS of our clock. Nonces seen inside the window are remembered; older ones need not be,
 * because their packets are refused as stale anyway. The cache is bounded: when it is full the oldest
 * nonces are forgotten and the acceptance floor rises past them, so forgetting never reopens a replay.
 */
import { REPLAY_CACHE_MAX, REPLAY_WINDOW_MS } from "../defaults.ts";

export type ReplayVerdict = "fresh" | "stale" | "replayed";

export class ReplayWindow {
  private readonly seen = new Map<string, number>();
  private floorMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowMs: number = REPLAY_WINDOW_MS,
    private readonly maxEntries: number = REPLAY_CACHE_MAX,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  check(timestampMs: number, nonce: Uint8Array, nowMs: number): ReplayVerdict {
    if (Math.abs(nowMs - timestampMs) > this.windowMs || timestampMs <= this.floorMs) return "stale";
    const key = String.fromCharCode(...nonce);
    if (this.seen.has(key)) return "replayed";
    this.prune(nowMs);
    this.seen.set(key, timestampMs);
    return "fresh";
  }

  private prune(nowMs: number): void {
    for (const [key, timestampMs] of this.seen) {
      const expired = timestampMs < nowMs - this.windowMs;
      const full = this.seen.size >= this.maxEntries;
      if (!expired && !full) break;
      this.seen.delete(key);
      if (full) this.floorMs = Math.max(this.floorMs, timestampMs);
    }
  }
}
