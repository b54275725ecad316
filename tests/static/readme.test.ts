// The README is the front door: every variable either program reads must be documented there, and its two
// commands must be the ones CI runs.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CONTROLLER_ENV_NAMES, INIT_ENV_NAMES } from "../../lib/config/index.ts";

const ROOT = resolve(import.meta.dir, "../..");
const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");

describe("README", () => {
  test("documents every controller and init variable", () => {
    const missing = [...CONTROLLER_ENV_NAMES, ...INIT_ENV_NAMES].filter(
      (name) => !readme.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });

  test("its test command is exactly what .ci/run runs", () => {
    const ciRun = readFileSync(resolve(ROOT, ".ci/run"), "utf8");
    const command = ciRun.split("\n").find((line) => line.startsWith("npm "));
    expect(command).toBeDefined();
    const documented = readme.includes(`\`\`\`sh\n${command}\n\`\`\``);
    expect(documented ? "documented" : `README lacks the block: ${command}`).toBe("documented");
  });

  test("its demo command runs the demo script", () => {
    expect(readme.includes("```sh\nnpm ci && npx bun run demo\n```")).toBe(true);
    const scripts = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")).scripts;
    expect(scripts.demo).toBe("bun run sim/demo.ts");
  });
});
