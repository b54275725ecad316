/**
 * `bun run demo`: the sandbox, controller replicas and sample pods, with live progress, a leader killed midway and a
 * summary. Exit 0 only if every allowed pod holds a token Vault accepts and the refused pod holds none and carries
 * the explaining Warning; 1 otherwise; 2 on bad flags; 130 on Ctrl-C. `--sidecar` runs sim/demo/sidecar.ts instead:
 * native-sidecar pods on second-long TTLs, passing only if every token was renewed and re-issued and none expired.
 *
 * Everything started is stopped by pid on every exit path. The state directory is removed after a passing run and
 * kept (with every log) after a failing one or with --keep.
 */
import { resolve } from "node:path";
import { openCliSession } from "./cli/session.ts";
import {
  createDisplay,
  DEMO_USAGE,
  type DemoOptions,
  demoBinaries,
  keepInstructions,
  parseDemoOptions,
  passed,
  runDemo,
  runSidecarDemo,
  summaryTable,
} from "./demo/index.ts";

const ROOT = resolve(import.meta.dir, "..");
const { options, stateDir, track, finish } = openCliSession<DemoOptions>(
  "demo",
  DEMO_USAGE,
  parseDemoOptions,
);

const display = createDisplay();
const started = performance.now();
let ok = false;
try {
  display.note(
    `kubernetes-vault demo: ${options.pods} pods${options.sidecar ? " in native-sidecar mode" : ""}${options.chaos ? ", with chaos" : ""}; state in ${stateDir}`,
  );
  const binaries = demoBinaries(ROOT);
  display.note(`executables: ${binaries.origin}`);
  const run = await (options.sidecar ? runSidecarDemo : runDemo)(options, {
    stateDir,
    binaries,
    display,
    track,
  });
  ok = passed(run.outcome);
  console.log(`\n${summaryTable(run.outcome)}`);
  if (options.keep) {
    console.log(`\n${keepInstructions(run, stateDir)}`);
    await new Promise(() => {}); // Until Ctrl-C (the signal handler stops everything and exits).
  }
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
}
await finish(ok, () => console.log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`));
