/** Order statistics for benchmark samples (nearest-rank percentiles) and unit helpers. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error("percentile of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => percentile(samples, 0.5);

/** Rounds to 2 decimals: figures are read by people, and the noise is far above that. */
export const round2 = (value: number) => Math.round(value * 100) / 100;

export const mib = (bytes: number) => round2(bytes / 2 ** 20);

export function percentiles(samples: readonly number[]): { p50: number; p99: number } {
  return { p50: round2(percentile(samples, 0.5)), p99: round2(percentile(samples, 0.99)) };
}
