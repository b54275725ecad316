/**
 * Ticks by elapsed monotonic time, not by timer callbacks: after a pause (SIGSTOP, a long GC, a starved event loop)
 * the missed ticks are caught up at once, so a leader's lease expires on schedule instead of stretching with the
 * pause. `due()` is pure arithmetic over injected time; the host calls it from its interval and before any
 * leadership question.
 */
import { MAX_CATCH_UP_TICKS } from "./defaults.ts";

export class TickClock {
  private ticked = 0;
  private readonly origin: number;

  constructor(
    private readonly tickMs: number,
    private readonly now: () => number,
  ) {
    this.origin = now();
  }

  /** Milliseconds until the next tick falls due (at least 1). */
  msUntilNextTick(): number {
    const elapsed = this.now() - this.origin;
    return Math.max(1, Math.ceil((Math.floor(elapsed / this.tickMs) + 1) * this.tickMs - elapsed));
  }

  /** Ticks owed since the last call (at most MAX_CATCH_UP_TICKS; the rest are forgiven). */
  due(): number {
    const target = Math.floor((this.now() - this.origin) / this.tickMs);
    const owed = target - this.ticked;
    this.ticked = target;
    return Math.max(0, Math.min(owed, MAX_CATCH_UP_TICKS));
  }
}
