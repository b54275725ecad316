// `bun run bench` in its smallest mode: the init and floor sections with 3 samples each against a real sandbox and
// the compiled init. results.json must hold exactly issue 8's keys (numbers or null) and RESULTS.md a row per
// figure key, a reason for every null, and the machine.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FIGURE_KEYS } from "../../bench/support/report.ts";
import { startProcess } from "../support/processes.ts";

setDefaultTimeout(300_000);

const ROOT = resolve(import.meta.dir, "../..");
const out = mkdtempSync(join(tmpdir(), "bench-harness-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const FIXED_KEYS = [...FIGURE_KEYS, "machine", "at"];

function numbersOrNull(value: unknown, path: string): string[] {
  if (value === null || typeof value === "number")
    return typeof value === "number" && !Number.isFinite(value) ? [path] : [];
  if (typeof value === "object")
    return Object.entries(value).flatMap(([key, field]) => numbersOrNull(field, `${path}.${key}`));
  return [path];
}

test("bench --only init,floor --quick --iterations 3 writes every fixed key and a row per key", async () => {
  const run = startProcess(
    process.execPath,
    ["run", "bench/run.ts", "--only", "init,floor", "--quick", "--iterations", "3", "--out", out],
    { cwd: ROOT, logPath: join(out, "run.log") },
  );
  try {
    expect(await run.exited()).toBe(0);
  } finally {
    await run.stop();
  }
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Record<string, unknown>;
  expect(Object.keys(results)).toEqual(FIXED_KEYS);
  for (const key of FIGURE_KEYS) expect(numbersOrNull(results[key], key)).toEqual([]);
  const init = results.init as Record<string, number | null>;
  expect(init.startup_ms).toBeGreaterThan(0);
  expect(init.binary_mb).toBeGreaterThan(1);
  expect(init.peak_rss_mb).toBeGreaterThan(1);
  const floor = results.floor_ms as { p50: number; p99: number };
  expect(floor.p50).toBeGreaterThan(0);
  expect(floor.p99).toBeGreaterThanOrEqual(floor.p50);
  expect(results.gossip).toBeNull();
  expect(Number.isNaN(Date.parse(String(results.at)))).toBe(false);
  expect((results.machine as { cores: number }).cores).toBeGreaterThan(0);

  const markdown = readFileSync(join(out, "RESULTS.md"), "utf8");
  for (const key of FIGURE_KEYS) expect(markdown).toMatch(new RegExp(`^\\| \`${key}\` +\\|`, "m"));
  // Every null figure has its reason.
  for (const key of FIGURE_KEYS)
    if (results[key] === null) expect(markdown).toMatch(new RegExp(`^- \`${key}\`: .+`, "m"));
  expect(markdown).toContain("## Machine");
  expect(markdown).toContain("real init executable");
  expect(markdown).toContain((results.machine as { bun: string }).bun);
});
