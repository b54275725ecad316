// `bun run check` in CI: types (tsc), lint and format (biome) and `deno check` of cmd/ and lib/, so Deno
// compatibility and the house style cannot regress unnoticed.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = resolve(ROOT, "node_modules/.bin");

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(resolve(BIN, command), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("static checks (bun run check)", () => {
  test("tsc --noEmit finds no type errors", () => {
    const { status, output } = run("tsc", ["--noEmit", "-p", "tsconfig.json"]);
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  test("biome finds no lint or format problems", () => {
    const { status, output } = run("biome", ["check", "."]);
    expect(status === 0 ? "" : output).toBe("");
  });

  test("deno check passes on cmd/ and lib/", () => {
    const { status, output } = run("deno", ["check", "--quiet", "cmd/", "lib/"]);
    expect(status === 0 ? "" : output).toBe("");
  });
});
