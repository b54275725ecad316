/**
 * Vault's duration inputs (parseutil.ParseDurationSecond): an integer is seconds, otherwise a Go duration such as
 * "1h30m", "90s" or "1.5h". Returns whole seconds, or undefined when the text is not a duration.
 */
const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

export function parseDurationSeconds(input: string | number): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? Math.floor(input) : undefined;
  const text = input.trim();
  if (text === "") return 0;
  if (/^\d+$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  let seconds = 0;
  for (const [, value, unit] of parts) seconds += Number(value) * (UNIT_SECONDS[unit ?? "s"] ?? 1);
  return Math.floor(seconds);
}

/** Go's time.Duration.String() for whole seconds, as Vault prints durations in messages ("1h0m0s"). */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
