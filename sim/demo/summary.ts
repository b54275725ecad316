/**
 * The end-of-run checks and the summary table. `passed` is the demo's exit criterion: every allowed pod holds a
 * token Vault's lookup-self accepts, and the refused pod holds none and carries the explaining Warning event.
 */
export interface Check {
  what: string;
  result: string;
  ok: boolean | undefined;
}

export interface Outcome {
  checks: Check[];
  facts: { what: string; value: string }[];
}

export function passed(outcome: Outcome): boolean {
  return outcome.checks.every((check) => check.ok !== false);
}

export function summaryTable(outcome: Outcome): string {
  const rows = [
    ...outcome.checks.map((c) => [c.what, c.result, c.ok === undefined ? "" : c.ok ? "ok" : "FAILED"]),
    ...outcome.facts.map((f) => [f.what, f.value, ""]),
  ];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  const line = (row: string[]) =>
    `  ${(row[0] ?? "").padEnd(widths[0] ?? 0)}  ${(row[1] ?? "").padEnd(widths[1] ?? 0)}  ${row[2] ?? ""}`.trimEnd();
  const rule = `  ${"-".repeat((widths[0] ?? 0) + (widths[1] ?? 0) + 10)}`;
  const verdict = passed(outcome) ? "DEMO PASSED" : "DEMO FAILED";
  return ["Summary", rule, ...rows.map(line), rule, `  ${verdict}`].join("\n");
}

/** p50 and p99 upper bounds from a Prometheus histogram's cumulative buckets (summed over labels), in ms. */
export function histogramQuantiles(
  metricsText: string,
  name: string,
): { p50: string; p99: string; count: number } | undefined {
  const buckets = new Map<number, number>();
  const pattern = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, "gm");
  for (const match of metricsText.matchAll(pattern)) {
    const le = match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(match[2]));
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const bound = (q: number) => {
    const found = sorted.find(([, cumulative]) => cumulative >= q * total)?.[0] ?? Number.POSITIVE_INFINITY;
    return Number.isFinite(found) ? `<= ${found * 1000} ms` : "> largest bucket";
  };
  return { p50: bound(0.5), p99: bound(0.99), count: total };
}
