/**
 * `bun run demo` as a user runs it, not on a TTY: a small run must pass (exit 0) and its output must show the plain
 * progress lines, the leader kill and the summary; a bad flag exits 2 with the usage. The demo stops everything it
 * started, so once it has exited no controller it ran may still answer on its addresses.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { killAllStarted, startProcess } from "../support/processes.ts";

setDefaultTimeout(180_000);

const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "kv-demo-test-"));
// Addresses of this test's own, so it runs beside a demo or another test using the defaults.
const CONTROLLER_PREFIX = "127.0.44";

afterAll(() => {
  killAllStarted();
  rmSync(dir, { recursive: true, force: true });
});

function runDemo(args: string[], name: string) {
  return startProcess(process.execPath, ["run", "sim/demo.ts", ...args], {
    cwd: ROOT,
    logPath: join(dir, `${name}.log`),
  });
}

describe("bun run demo", () => {
  test("a small run serves every allowed pod, refuses team-c, kills the leader and passes", async () => {
    const demo = runDemo(
      [
        "--pods",
        "5",
        "--controller-prefix",
        CONTROLLER_PREFIX,
        "--pod-prefix",
        "127.44",
        "--state-dir",
        join(dir, "state"),
      ],
      "pass",
    );
    const code = await demo.exited();
    const output = demo.output();
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/pods created 5\/5, served 4\/4, waiting 0/);
    expect(output).toContain("killing the leader with SIGKILL");
    expect(output).toMatch(/allowed pods with a token file\s+4\/4\s+ok/);
    expect(output).toMatch(/tokens Vault's lookup-self accepts\s+4\/4\s+ok/);
    expect(output).toMatch(/team-c\/intruder \(role demo-app\) has no token\s+none\s+ok/);
    expect(output).toMatch(/team-c\/intruder Warning VaultRoleNotAllowed\s+"no secret_id for AppRole/);
    expect(output).toMatch(/(leader takeover|restart) after SIGKILL.*\d+ ms/);
    expect(output).toContain("DEMO PASSED");
    // Not a TTY: no cursor movement.
    expect(output).not.toContain("\x1b[");
    const stillServing = await fetch(`http://${CONTROLLER_PREFIX}.1:8080/metrics`, {
      signal: AbortSignal.timeout(2_000),
    }).then(
      () => true,
      () => false,
    );
    expect(stillServing).toBe(false);
  });

  test("a bad flag exits 2 with the reason and the usage", async () => {
    const demo = runDemo(["--pods", "1"], "bad-flag");
    expect(await demo.exited()).toBe(2);
    expect(demo.output()).toContain('--pods "1" is not a whole number from 2 to 500');
    expect(demo.output()).toContain("usage: bun run demo");
  });
});
