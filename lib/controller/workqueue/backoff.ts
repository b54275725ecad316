/**
 * Per-item exponential back-off with jitter (controller-runtime's ItemExponentialFailureRateLimiter, plus jitter).
 *
 * Contract: the n-th consecutive failure of a key (n from 0) waits base·2ⁿ, capped at max, then shortened by up to
 * `jitterFraction` of itself using the injected Random. `forget(key)` after a success starts the key from base again.
 */
import { RETRY_BASE_DELAY_MS, RETRY_JITTER_FRACTION, RETRY_MAX_DELAY_MS } from "../defaults.ts";
import type { Random } from "../support/clock.ts";

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  jitterFraction: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseDelayMs: RETRY_BASE_DELAY_MS,
  maxDelayMs: RETRY_MAX_DELAY_MS,
  jitterFraction: RETRY_JITTER_FRACTION,
};

/** Pure: the delay before retry number `failures` (0 = first retry). */
export function backoffDelay(
  failures: number,
  random: Random,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  // 2^failures overflows to Infinity for large counts, which the cap absorbs.
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures));
  return Math.max(0, exponential * (1 - policy.jitterFraction * random.next()));
}

export interface ItemBackoff<K> {
  /** Records a failure of `key` and returns how long to wait before retrying it. */
  when(key: K): number;
  forget(key: K): void;
  failures(key: K): number;
}

export function createItemBackoff<K>(
  random: Random,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): ItemBackoff<K> {
  const counts = new Map<K, number>();
  return {
    when(key) {
      const failures = counts.get(key) ?? 0;
      counts.set(key, failures + 1);
      return backoffDelay(failures, random, policy);
    },
    forget: (key) => void counts.delete(key),
    failures: (key) => counts.get(key) ?? 0,
  };
}
