/**
 * bench/results.json and bench/RESULTS.md from the sections' outcomes. results.json has exactly issue 8's keys, in
 * its order: each figure or null, `machine` and `at`. RESULTS.md has one table row per figure key (value, goal,
 * verdict, anchor, mode), the reason for every null, each figure's notes, what each mode means, and the machine.
 */
import type { AnySection, FigureKey, Figures, Mode, Outcome } from "../sections/types.ts";
import type { Machine } from "./machine.ts";

export const FIGURE_KEYS: readonly FigureKey[] = [
  "push_latency_ms",
  "floor_ms",
  "burst",
  "failover_ms",
  "rss_10k_pods_mb",
  "init",
  "raft",
  "gossip",
];

export interface SectionReport {
  section: AnySection;
  outcome: Outcome<FigureKey>;
}

export type FigureValues = Partial<{ [K in FigureKey]: Figures[K] | null }>;

const MODE_MEANING: Record<Mode, string> = {
  "real init executable":
    "the compiled init (built like `bun run build`) as a separate process per pod, run by the kubelet stand-in or spawned directly",
  "in-process fleet":
    "sim/fleet: every pod's init endpoint in one process on its own 127.x address, built from the same lib/init code (real TLS and client-certificate check, real lookup/unwrap/login, real token files); the controllers are real processes",
  "minimal client":
    "lib/vault and lib/runtime calls back to back in the benchmark process, no controller or init",
  "controllers only": "real compiled controllers; pods are parked on a node nobody runs, so no init runs",
  "in-process Raft cluster":
    "three lib/raft hosts in the benchmark process, fsync'd file storage, the real HTTP transport with HMAC on loopback",
  "in-process UDP cluster":
    "lib/gossip hosts in the benchmark process over real UDP/TCP loopback sockets with the sealed envelope",
};

export function figureValues(reports: readonly SectionReport[]): FigureValues {
  return Object.fromEntries(reports.map((r) => [r.section.key, r.outcome.value])) as FigureValues;
}

export function resultsJson(
  reports: readonly SectionReport[],
  machine: Machine,
  at: string,
): Record<string, unknown> {
  const values = figureValues(reports);
  return { ...Object.fromEntries(FIGURE_KEYS.map((key) => [key, values[key] ?? null])), machine, at };
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value !== "object") return String(value);
  return Object.entries(value)
    .map(([key, field]) => `${key} ${field === null ? "null" : String(field)}`)
    .join(" · ");
}

function verdictOf(report: SectionReport, values: FigureValues): string {
  const { section, outcome } = report;
  if (outcome.value === null || !section.verdict) return "—";
  const verdict = (section.verdict as (value: unknown, all: FigureValues) => boolean | undefined)(
    outcome.value,
    values,
  );
  return verdict === undefined ? "—" : verdict ? "met" : "missed";
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A table with padded columns, as biome's markdown formatter writes it (so `bun run check` accepts the file). */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

export function resultsMarkdown(
  reports: readonly SectionReport[],
  machine: Machine,
  at: string,
  command: string,
): string {
  const values = figureValues(reports);
  const byKey = new Map(reports.map((r) => [r.section.key, r]));
  const lines = [
    "# Benchmark results",
    "",
    `Measured ${at} by \`${command}\`. Figures are from this machine only (below); \`null\` means not measured, with the reason under the table.`,
    "",
  ];
  const rows: string[][] = [];
  for (const key of FIGURE_KEYS) {
    const report = byKey.get(key);
    if (!report) {
      rows.push([`\`${key}\``, "null", "—", "—", "—", "—"]);
      continue;
    }
    const { section, outcome } = report;
    rows.push([
      `\`${key}\``,
      cell(formatValue(outcome.value)),
      cell(section.goal),
      verdictOf(report, values),
      cell(section.anchor),
      outcome.value === null ? "—" : outcome.mode,
    ]);
  }
  lines.push(...table(["figure", "value", "goal", "verdict", "anchor", "mode"], rows));
  const missing = reports.filter((r) => r.outcome.value === null);
  if (missing.length > 0) {
    lines.push("", "## Not measured", "");
    for (const { section, outcome } of missing)
      if (outcome.value === null) lines.push(`- \`${section.key}\`: ${outcome.reason}`);
  }
  const measured = reports.filter((r) => r.outcome.value !== null);
  if (measured.length > 0) {
    lines.push("", "## Notes", "");
    for (const { section, outcome } of measured)
      if (outcome.value !== null)
        lines.push(`- \`${section.key}\` (${outcome.mode}): ${outcome.notes.join("; ")}`);
  }
  lines.push("", "## Modes", "");
  for (const [mode, meaning] of Object.entries(MODE_MEANING)) {
    const used = measured
      .filter((r) => r.outcome.value !== null && r.outcome.mode === mode)
      .map((r) => `\`${r.section.key}\``);
    lines.push(
      `- **${mode}**${used.length ? ` (${used.join(", ")})` : " (not used in this run)"}: ${meaning}`,
    );
  }
  lines.push(
    "",
    "## Machine",
    "",
    ...table(
      ["cpu", "cores", "memory", "OS", "kernel", "arch", "bun", "servers"],
      [
        [
          cell(machine.cpu_model),
          String(machine.cores),
          `${machine.memory_gb} GiB`,
          cell(machine.os),
          machine.kernel,
          machine.arch,
          machine.bun,
          cell(machine.servers),
        ],
      ],
    ),
    "",
  );
  return lines.join("\n");
}
