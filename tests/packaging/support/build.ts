/**
 * `scripts/build.ts` run for real, once per source state, into an image build context of our own
 * (`.state/packaging/context-<hash>/`): `dist/` from the build script plus the repo's Containerfile and
 * .containerignore. The repo's own dist/ is left alone, so a developer's build and the tests never race.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { sourceHash } from "../../support/binaries.ts";
import { ROOT, runOk } from "./tools.ts";

export type Program = "init" | "controller";

export interface BuildContext {
  /** The directory `podman build` is pointed at. */
  dir: string;
  /** `<dir>/dist`, the build script's --outdir. */
  dist: string;
  rootfs(program: Program): string;
  /** The host (x64) executable the build script compiled. */
  binary(program: Program): string;
  /** What the build script printed, per program built in this process (empty when reused from disk). */
  logs: Partial<Record<Program, string>>;
}

/** Each context holds 100+ MiB executables; keep only the current source state's. */
function removeStaleContexts(current: string): void {
  const parent = dirname(current);
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent))
    if (name.startsWith("context-") && join(parent, name) !== current)
      rmSync(join(parent, name), { recursive: true, force: true });
}

const pending = new Map<string, Promise<BuildContext>>();

async function build(program: Program): Promise<BuildContext> {
  const hash = sourceHash(["scripts/build.ts"]);
  const dir = join(ROOT, ".state", "packaging", `context-${hash}`);
  const dist = join(dir, "dist");
  const context: BuildContext = {
    dir,
    dist,
    rootfs: (p) => join(dist, "rootfs", p),
    binary: (p) => join(dist, p),
    logs: {},
  };
  const done = join(dist, `${program}.built`);
  if (!existsSync(done)) {
    removeStaleContexts(dir);
    mkdirSync(dir, { recursive: true });
    context.logs[program] = await runOk(process.execPath, [
      "scripts/build.ts",
      "--targets",
      "x64",
      "--only",
      program,
      "--outdir",
      dist,
    ]);
    writeFileSync(done, `${new Date().toISOString()}\n`);
  }
  // Always the current files: they are not part of the hash, and copying them is cheap.
  for (const file of ["Containerfile", ".containerignore"]) copyFileSync(join(ROOT, file), join(dir, file));
  return context;
}

/** Builds `program` with scripts/build.ts (x64 only) unless this source state was built before. */
export function buildContext(program: Program): Promise<BuildContext> {
  const key = program;
  let promise = pending.get(key);
  if (!promise) {
    promise = build(program);
    pending.set(key, promise);
  }
  return promise;
}

/** Every path under `root`, directories with a trailing slash, sorted: what an image built from it holds. */
export function listTree(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(root, path);
    if (lstatSync(path).isDirectory()) out.push(`${rel}/`, ...listTree(root, path));
    else out.push(rel);
  }
  return out.sort();
}
