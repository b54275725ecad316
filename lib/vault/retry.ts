/**
 * Retry policy for Vault calls: exponential back-off with full jitter, only for calls that are safe to repeat
 * (reads, lookups, renew-self, health) and only after a failure that a repeat can cure: no answer, 5xx, or 429.
 *
 * Contract: pure apart from the injected `sleep`; the random source is injected so tests are deterministic.
 * Secret-id creation, unwrap and login are never retried: each consumes or mints something in Vault.
 */

export interface RetryOptions {
  /** Total tries including the first; 1 disables retries. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Uniform in [0, 1). */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Three tries spread over about a second ride out a Vault leader election without stalling a reconcile. */
export const DEFAULT_RETRY = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 } as const;

function cryptoRandom(): number {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
  return value / 2 ** 32;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, options.attempts ?? DEFAULT_RETRY.attempts),
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    random: options.random ?? cryptoRandom,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/** Delay before retry number `retry` (1-based): full jitter over an exponentially growing, capped window. */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(policy.random() * window);
}

/** 0 = Vault not reached. 429 = rate limited (or a standby asked to redirect). */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}
