/**
 * When to renew the controller's token and how loudly to worry: pure functions of time, no timers.
 *
 * - After a renewal: wait TOKEN_RENEW_FRACTION of the new TTL (half), leaving the other half for retries.
 * - After a failure: jittered exponential back-off from TOKEN_RETRY_BASE_MS up to TOKEN_RETRY_MAX_MS, but never
 *   longer than half of what remains, so attempts get denser as expiry nears (plain back-off once expired).
 * - Alarm: "ok" while more than half the period remains; "warn" below that (a renewal is overdue); "danger" below
 *   TOKEN_DANGER_FRACTION of the period; "expired" at zero.
 */
import {
  TOKEN_DANGER_FRACTION,
  TOKEN_RENEW_FRACTION,
  TOKEN_RETRY_BASE_MS,
  TOKEN_RETRY_MAX_MS,
} from "../defaults.ts";
import type { Random } from "../support/clock.ts";
import { backoffDelay } from "../workqueue/backoff.ts";

export type ExpiryAlarm = "ok" | "warn" | "danger" | "expired";

export function delayAfterRenewal(ttlMs: number): number {
  return Math.max(0, ttlMs * TOKEN_RENEW_FRACTION);
}

export function delayAfterFailure(failures: number, remainingMs: number, random: Random): number {
  const backoff = backoffDelay(failures, random, {
    baseDelayMs: TOKEN_RETRY_BASE_MS,
    maxDelayMs: TOKEN_RETRY_MAX_MS,
    jitterFraction: 0.2,
  });
  // Once expired, only the back-off paces attempts (and the error logs they produce).
  if (remainingMs <= 0) return backoff;
  return Math.max(TOKEN_RETRY_BASE_MS, Math.min(backoff, remainingMs / 2));
}

export function expiryAlarm(remainingMs: number, lifetimeMs: number): ExpiryAlarm {
  if (remainingMs <= 0) return "expired";
  if (remainingMs < lifetimeMs * TOKEN_DANGER_FRACTION) return "danger";
  if (remainingMs < lifetimeMs * TOKEN_RENEW_FRACTION) return "warn";
  return "ok";
}
