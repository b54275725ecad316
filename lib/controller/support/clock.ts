/**
 * Time and chance, injected: every core in lib/controller takes a Clock and a Random instead of calling
 * Date.now(), setTimeout() or Math.random(), so tests can drive time by hand and replay a seed exactly.
 *
 * Contract: `now()` is milliseconds since the epoch; timers fire at most once, and cancelling an unknown or
 * already-fired timer is a no-op. `Random.next()` is uniform in [0, 1).
 */
export type TimerHandle = { readonly id: number };

export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export interface Random {
  next(): number;
}

export function systemClock(): Clock {
  const live = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    now: () => Date.now(),
    setTimer(callback, delayMs) {
      const id = nextId++;
      const timer = setTimeout(
        () => {
          live.delete(id);
          callback();
        },
        Math.max(0, delayMs),
      );
      live.set(id, timer);
      return { id };
    },
    clearTimer(handle) {
      const timer = live.get(handle.id);
      if (timer !== undefined) clearTimeout(timer);
      live.delete(handle.id);
    },
  };
}

/** mulberry32: tiny, fast and good enough for jitter; a seed replays the same sequence everywhere. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    },
  };
}

/** Seeds a production random source from the platform's CSPRNG once, at start-up. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 1;
}
