/**
 * `bun run demo`: the sandbox, controller replicas and sample pods, with live progress, a leader killed midway and a
 * summary. Exit 0 only if every allowed pod holds a token Vault accepts and the refused pod holds none and carries
 * the explaining Warning; 1 otherwise; 2 on bad flags; 130 on Ctrl-C.
 *
 * Everything started is stopped by pid on every exit path. The state directory is removed after a passing run and
 * kept (with every log) after a failing one or with --keep.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  createDisplay,
  DEMO_USAGE,
  type DemoOptions,
  demoBinaries,
  keepInstructions,
  parseDemoOptions,
  passed,
  runDemo,
  summaryTable,
} from "./demo/index.ts";

const ROOT = resolve(import.meta.dir, "..");

let options: DemoOptions;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${DEMO_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(DEMO_USAGE);
  process.exit(0);
}

const stateDir = options.stateDir
  ? resolve(options.stateDir)
  : mkdtempSync(join(tmpdir(), "kubernetes-vault-demo-"));
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
  console.log(`\n${signal}: stopping everything the demo started`);
  await stopAll();
  console.log(`logs and state kept in ${stateDir}`);
  process.exit(code);
};
process.on("SIGINT", onSignal("SIGINT", 130));
process.on("SIGTERM", onSignal("SIGTERM", 143));
process.on("SIGHUP", onSignal("SIGHUP", 129));

const display = createDisplay();
const started = performance.now();
let ok = false;
try {
  display.note(
    `kubernetes-vault demo: ${options.pods} pods${options.chaos ? ", with chaos" : ""}; state in ${stateDir}`,
  );
  const binaries = demoBinaries(ROOT);
  display.note(`executables: ${binaries.origin}`);
  const run = await runDemo(options, { stateDir, binaries, display, track: (stop) => stops.push(stop) });
  ok = passed(run.outcome);
  console.log(`\n${summaryTable(run.outcome)}`);
  if (options.keep) {
    console.log(`\n${keepInstructions(run, stateDir)}`);
    await new Promise(() => {}); // Until Ctrl-C (the signal handler stops everything and exits).
  }
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
}
await stopAll();
if (ok) rmSync(stateDir, { recursive: true, force: true });
else console.log(`logs and state kept in ${stateDir}`);
console.log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(ok ? 0 : 1);
