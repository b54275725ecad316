/**
 * Compiled executables for end-to-end tests, built once per source state and shared by every test file.
 * A compile takes seconds on our 2-core machines; keying the cache by a hash of cmd/ and lib/ keeps every test on
 * the code under test without rebuilding it per file.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const CACHE = join(ROOT, ".state", "test-bin");
const ENTRY_POINTS = { init: "cmd/init.ts", controller: "cmd/controller.ts" } as const;
export type Program = keyof typeof ENTRY_POINTS;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** A short hash of cmd/, lib/, the lockfile and `extraFiles` (repo-relative): names a build of that source state. */
export function sourceHash(extraFiles: string[] = []): string {
  const hash = createHash("sha256");
  for (const file of [
    ...sourceFiles(join(ROOT, "cmd")),
    ...sourceFiles(join(ROOT, "lib")),
    join(ROOT, "package-lock.json"),
    ...extraFiles.map((file) => join(ROOT, file)),
  ]) {
    hash.update(file);
    hash.update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

/** The path of `program` compiled exactly as `bun run build` compiles it. */
export function compiledBinary(program: Program): string {
  const outfile = join(CACHE, `${program}-${sourceHash()}`);
  if (existsSync(outfile)) return outfile;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${outfile}.${process.pid}.partial`;
  const result = spawnSync(
    process.execPath,
    [
      "build",
      "--compile",
      "--bytecode",
      // ESM: CommonJS bytecode cannot hold cmd/controller.ts's top-level await (see scripts/build.ts).
      "--format=esm",
      "--minify",
      "--keep-names",
      ENTRY_POINTS[program],
      "--outfile",
      partial,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`compiling ${program} failed:\n${result.stderr}${result.stdout}`);
  renameSync(partial, outfile);
  pruneOlderBuilds(program, outfile);
  return outfile;
}

/** Builds are ~100 MB each; keep the few newest per program so a working tree does not fill the disk. */
const KEEP_BUILDS = 3;

function pruneOlderBuilds(program: Program, keep: string): void {
  const builds = readdirSync(CACHE)
    .filter((name) => name.startsWith(`${program}-`) && !name.endsWith(".partial"))
    .map((name) => join(CACHE, name))
    .filter((path) => path !== keep)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const stale of builds.slice(KEEP_BUILDS - 1)) rmSync(stale, { force: true });
}
