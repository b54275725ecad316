/**
 * Durations as operators write them: Go's time.ParseDuration spelling ("5m", "1h30m", "90s", "250ms", "1.5h"),
 * which the original's TIMEOUT used, or a plain number of seconds ("90"), which is how Vault's API takes TTLs.
 *
 * Contract: `parseDuration` returns whole milliseconds and throws `DurationSyntaxError` (naming the rule broken,
 * never guessing) for anything else; negative durations are refused because every duration here is a wait or a TTL.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const PLAIN_SECONDS = /^\d+$/;
const GO_DURATION =
  /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))*$/;
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

export const DURATION_EXAMPLES = `a Go duration such as "90s", "5m", "1h30m" or "250ms", or a whole number of seconds such as "90"`;

export class DurationSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "DurationSyntaxError";
  }
}

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "") throw new DurationSyntaxError("it is empty");
  if (trimmed.startsWith("-")) throw new DurationSyntaxError("it is negative");
  if (PLAIN_SECONDS.test(trimmed)) return Number(trimmed) * 1_000;
  if (!GO_DURATION.test(trimmed)) {
    const reason = /^\d+(\.\d+)?[a-zA-Z]+$/.test(trimmed)
      ? "its unit is not one of ns, us, ms, s, m, h"
      : "it is not a duration";
    throw new DurationSyntaxError(reason);
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(GO_PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER)
    throw new DurationSyntaxError("it is too large");
  return Math.round(total);
}

/** Whole seconds, as Vault's TTL fields and the push's `ttl` want them (rounded up, so a TTL never shrinks to 0). */
export function durationSeconds(ms: number): number {
  return Math.ceil(ms / 1_000);
}
