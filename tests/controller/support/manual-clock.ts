// A Clock whose time moves only when a test says so; timers fire in due order during advance().
import type { Clock, TimerHandle } from "../../../lib/controller/support/clock.ts";

export interface ManualClock extends Clock {
  advance(ms: number): void;
  pendingTimers(): number;
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { dueAt: number; callback: () => void }>();
  return {
    now: () => now,
    setTimer(callback, delayMs): TimerHandle {
      const id = nextId++;
      timers.set(id, { dueAt: now + Math.max(0, delayMs), callback });
      return { id };
    },
    clearTimer: (handle) => void timers.delete(handle.id),
    pendingTimers: () => timers.size,
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let nextTimer: [number, { dueAt: number; callback: () => void }] | undefined;
        for (const entry of timers) if (!nextTimer || entry[1].dueAt < nextTimer[1].dueAt) nextTimer = entry;
        if (!nextTimer || nextTimer[1].dueAt > until) break;
        timers.delete(nextTimer[0]);
        now = Math.max(now, nextTimer[1].dueAt);
        nextTimer[1].callback();
      }
      now = until;
    },
  };
}

/** Lets pending promise callbacks run (no wall-clock sleep). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
