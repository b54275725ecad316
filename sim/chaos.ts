/**
 * `bun run chaos`: many pods on the in-process fleet node served by Raft-coordinated controller replicas while
 * leaders are SIGKILLed, Vault is stopped, API watches are cut with forced 410s and a replica is SIGSTOPped; then
 * the end-state checks and a counts table. Exit 0 only if every check passes; 1 otherwise; 2 on bad flags; 130 on
 * Ctrl-C.
 *
 * Everything started is stopped by pid on every exit path. The state directory is removed after a passing run and
 * kept (with every log) after a failing one.
 */
import { resolve } from "node:path";
import { CHAOS_USAGE, type ChaosOptions, parseChaosOptions, runChaos } from "./chaos/index.ts";
import { openCliSession } from "./cli/session.ts";
import { demoBinaries } from "./demo/binaries.ts";
import { passed, summaryTable } from "./demo/summary.ts";

const ROOT = resolve(import.meta.dir, "..");
const { options, stateDir, track, finish } = openCliSession<ChaosOptions>(
  "chaos run",
  CHAOS_USAGE,
  parseChaosOptions,
);

const note = (line: string) => console.log(line);
let ok = false;
try {
  note(
    `kubernetes-vault chaos: ${options.pods} pods, ${options.replicas} replicas, seed ${options.seed}; state in ${stateDir}`,
  );
  const controllerBinary = demoBinaries(ROOT).controller;
  const outcome = await runChaos(options, {
    stateDir,
    controllerBinary,
    note,
    track,
  });
  ok = passed(outcome);
  console.log(`\n${summaryTable(outcome).replace(/DEMO (PASSED|FAILED)$/, "CHAOS $1")}`);
} catch (error) {
  console.error(`chaos run failed: ${error instanceof Error ? error.message : String(error)}`);
}
await finish(ok);
