/**
 * `bun run chaos`: many pods on the in-process fleet node served by Raft-coordinated controller replicas while
 * leaders are SIGKILLed, Vault is stopped, API watches are cut with forced 410s and a replica is SIGSTOPped; then
 * the end-state checks and a counts table. Exit 0 only if every check passes; 1 otherwise; 2 on bad flags; 130 on
 * Ctrl-C.
 *
 * Everything started is stopped by pid on every exit path. The state directory is removed after a passing run and
 * kept (with every log) after a failing one.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compiledBinary } from "../tests/support/binaries.ts";
import { CHAOS_USAGE, type ChaosOptions, parseChaosOptions, runChaos } from "./chaos/index.ts";
import { passed, summaryTable } from "./demo/summary.ts";

let options: ChaosOptions;
try {
  options = parseChaosOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${CHAOS_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(CHAOS_USAGE);
  process.exit(0);
}

const stateDir = options.stateDir
  ? resolve(options.stateDir)
  : mkdtempSync(join(tmpdir(), "kubernetes-vault-chaos-"));
mkdirSync(stateDir, { recursive: true });
const stops: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;
const stopAll = () => {
  stopping ??= (async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  })();
  return stopping;
};
const onSignal = (signal: string, code: number) => async () => {
  console.log(`\n${signal}: stopping everything the chaos run started`);
  await stopAll();
  console.log(`logs and state kept in ${stateDir}`);
  process.exit(code);
};
process.on("SIGINT", onSignal("SIGINT", 130));
process.on("SIGTERM", onSignal("SIGTERM", 143));
process.on("SIGHUP", onSignal("SIGHUP", 129));

const note = (line: string) => console.log(line);
let ok = false;
try {
  note(
    `kubernetes-vault chaos: ${options.pods} pods, ${options.replicas} replicas, seed ${options.seed}; state in ${stateDir}`,
  );
  const controllerBinary = compiledBinary("controller");
  const outcome = await runChaos(options, {
    stateDir,
    controllerBinary,
    note,
    track: (stop) => stops.push(stop),
  });
  ok = passed(outcome);
  console.log(`\n${summaryTable(outcome).replace(/DEMO (PASSED|FAILED)$/, "CHAOS $1")}`);
} catch (error) {
  console.error(`chaos run failed: ${error instanceof Error ? error.message : String(error)}`);
}
await stopAll();
if (ok) rmSync(stateDir, { recursive: true, force: true });
else console.log(`logs and state kept in ${stateDir}`);
process.exit(ok ? 0 : 1);
