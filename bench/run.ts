/**
 * `bun run bench [--quick] [--real] [--only init,floor,...] [--iterations N] [--out DIR]`: runs the benchmark sections in
 * bench/sections/ and writes DIR/results.json (issue 8's fixed keys) and DIR/RESULTS.md (DIR defaults to bench/).
 *
 * --quick: fewer samples, under 3 minutes on 2 cores. --only: a comma list of section names (init, floor, push,
 * burst, failover, rss, raft, gossip) or figure keys; the others are null with "not run". --iterations: every
 * section's sample count (smoke tests; figures then note they are below the asked minimum). --keep-state: leave
 * the scratch directory (controller, pod and sandbox files and logs) and print where it is. --real: every sandbox
 * runs on the real servers (etcd, kube-apiserver, kube-controller-manager, Vault; see sim/real/README.md), so the
 * floor and push latency are measured against a real Vault.
 * A section that throws is null with its error and makes the run exit 1; a figure whose product part is missing
 * is null with the reason and is not a failure.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type AnySection, type FigureKey, type Outcome, SECTIONS } from "./sections/index.ts";
import { openBenchContext, ROOT } from "./support/context.ts";
import { describeMachine } from "./support/machine.ts";
import { resultsJson, resultsMarkdown, type SectionReport } from "./support/report.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    iterations: { type: "string" },
    out: { type: "string", default: join(ROOT, "bench") },
    "keep-state": { type: "boolean", default: false },
    real: { type: "boolean", default: false },
  },
});

const names = values.only
  ?.split(",")
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = names?.filter((name) => !SECTIONS.some((s) => s.name === name || s.key === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `--only: unknown section ${unknown.join(", ")}; use ${SECTIONS.map((s) => s.name).join(", ")}\n`,
  );
  process.exit(2);
}
const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
if (iterations !== undefined && !(Number.isInteger(iterations) && iterations > 0)) {
  process.stderr.write("--iterations must be a whole number above 0\n");
  process.exit(2);
}
const selected = (section: AnySection) =>
  !names || names.includes(section.name) || names.includes(section.key);

const { context, close } = openBenchContext({
  quick: values.quick,
  iterations,
  keepState: values["keep-state"],
  real: values.real,
});
const reports: SectionReport[] = [];
let failed = false;
try {
  for (const section of SECTIONS) {
    let outcome: Outcome<FigureKey>;
    if (!selected(section)) {
      outcome = { value: null, reason: `not run (--only ${values.only})` };
    } else {
      const began = performance.now();
      try {
        outcome = await (section.run as (c: typeof context) => Promise<Outcome<FigureKey>>)(context);
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? error.message : String(error);
        outcome = { value: null, reason: `failed: ${message.split("\n")[0]}` };
        process.stderr.write(
          `${section.name} failed: ${error instanceof Error ? (error.stack ?? message) : message}\n`,
        );
      }
      context.progress(`${section.name}: done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }
    reports.push({ section, outcome });
  }
} finally {
  await close();
}

const at = new Date().toISOString();
const machine = describeMachine(
  values.real ? "real: etcd v3.7.3, kube-apiserver v1.37.2, Vault v1.13.0 (sim/real)" : "stand-ins (sim/)",
);
const command = ["bun run bench", ...process.argv.slice(2)].join(" ");
const outDir = resolve(values.out);
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "results.json"),
  `${JSON.stringify(resultsJson(reports, machine, at), null, 2)}\n`,
);
const markdown = resultsMarkdown(reports, machine, at, command);
writeFileSync(join(outDir, "RESULTS.md"), markdown);
process.stdout.write(`${markdown}\n`);
process.exit(failed ? 1 : 0);
