/**
 * Which controller and init executables the demo runs: `dist/` from `bun run build` when it is newer than every
 * source file, otherwise the compile cache the tests share (.state/test-bin, built once per source state). Compiled
 * executables start in tens of milliseconds; three `bun cmd/controller.ts` processes would spend seconds each
 * transpiling on a 2-core machine.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { compiledBinary } from "../../tests/support/binaries.ts";

export interface DemoBinaries {
  controller: string;
  init: string;
  /** Where they came from, for the output. */
  origin: string;
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestSourceMtime(path) : stat.mtimeMs);
  }
  return newest;
}

export function demoBinaries(root: string): DemoBinaries {
  const dist = { controller: join(root, "dist", "controller"), init: join(root, "dist", "init") };
  if (existsSync(dist.controller) && existsSync(dist.init)) {
    const sources = Math.max(newestSourceMtime(join(root, "cmd")), newestSourceMtime(join(root, "lib")));
    if (Math.min(statSync(dist.controller).mtimeMs, statSync(dist.init).mtimeMs) > sources)
      return { ...dist, origin: "dist/ (bun run build)" };
  }
  const started = performance.now();
  const controller = compiledBinary("controller");
  const init = compiledBinary("init");
  const ms = Math.round(performance.now() - started);
  return { controller, init, origin: `.state/test-bin (compiled or reused in ${ms} ms)` };
}
