/**
 * The sim's clock: wall time plus an offset that tests can push forward, so TTL expiry is testable without sleeping.
 *
 * Contract: `now()` is milliseconds since the epoch and never goes backwards; `advance(ms)` moves it forward at once.
 */
export interface SimClock {
  now(): number;
  advance(ms: number): void;
}

export function createSimClock(base: () => number = () => Date.now()): SimClock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be a non-negative number, got ${ms}`);
      offset += ms;
    },
  };
}

export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Vault prints times as RFC 3339 with nanoseconds; milliseconds are all we keep. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString();
