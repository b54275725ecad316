/**
 * `bun run bench/init.ts [--runs N]`: the init container's figures alone (issue 3 "Measure"), printed as one JSON
 * object: executable size, spawn-to-listening and inside-runInit start-up, idle RSS, and one whole exchange's
 * answer time and peak RSS against the sandbox Vault. The same measurement feeds `init` in `bun run bench`.
 */
import { parseArgs } from "node:util";
import { measureInit } from "./sections/init.ts";
import { openBenchContext } from "./support/context.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" } } });
const { context, close } = openBenchContext({ quick: false, iterations: undefined });
try {
  console.log(JSON.stringify(await measureInit(context, Number(values.runs)), null, 2));
} finally {
  await close();
}
process.exit(0);
