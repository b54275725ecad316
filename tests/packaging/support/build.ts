/**
 * `scripts/build.ts` run for real, once per source state, into an image build context of our own
 * (`.state/packaging/context-<hash>/`): `dist/` from the build script plus the repo's Containerfile and
 * .containerignore. The repo's own dist/ is left alone, so a developer's build and the tests never race.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
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
}

/** A context unused this long belongs to no running test process (each touches its context on every use). */
const STALE_AFTER_MS = 30 * 60_000;

/** Each context holds 100+ MiB executables; drop those no test process has used for a while. */
function removeStaleContexts(current: string): void {
  const parent = dirname(current);
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (
      name.startsWith("context-") &&
      path !== current &&
      Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS
    )
      rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Fixed for the whole test process: teammates commit to cmd/ and lib/ all the time, and a process must not build
 * init in one context and the controller in another (or delete the one it is using).
 */
let processHash: string | undefined;

const pending = new Map<string, Promise<BuildContext>>();

async function build(program: Program): Promise<BuildContext> {
  processHash ??= sourceHash(["scripts/build.ts"]);
  const hash = processHash;
  const dir = join(ROOT, ".state", "packaging", `context-${hash}`);
  const dist = join(dir, "dist");
  const context: BuildContext = {
    dir,
    dist,
    rootfs: (p) => join(dist, "rootfs", p),
    binary: (p) => join(dist, p),
  };
  const done = join(dist, `${program}.built`);
  if (!existsSync(done)) {
    removeStaleContexts(dir);
    mkdirSync(dir, { recursive: true });
    await runOk(process.execPath, [
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
  utimesSync(dir, new Date(), new Date());
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
