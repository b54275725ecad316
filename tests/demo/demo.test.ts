/**
 * `bun run demo` as a user runs it, not on a TTY: a small run must pass (exit 0) and its output must show the plain
 * progress lines, the leader kill and the summary; a bad flag exits 2 with the usage. The demo stops everything it
 * started, so once it has exited no controller it ran may still answer on its addresses.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { killAllStarted, startProcess, type TestProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

setDefaultTimeout(180_000);

const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "kv-demo-test-"));
// Addresses of this test's own, so it runs beside a demo or another test using the defaults.
const CONTROLLER_PREFIX = "127.0.44";

let failures = 0;

const demos: TestProcess[] = [];

afterAll(async () => {
  // SIGINT first: the demo then stops its controllers and pods by pid. A SIGKILLed demo would orphan them.
  for (const demo of demos) demo.signal("SIGINT");
  await Promise.race([
    Promise.all(demos.map((demo) => demo.exited())),
    new Promise((resolve) => setTimeout(resolve, 30_000)),
  ]);
  killAllStarted();
  if (failures === 0) rmSync(dir, { recursive: true, force: true });
  else console.error(`demo logs and state kept in ${dir}`);
});

/** Marks the run failed (so afterAll keeps the logs) when the test body throws. */
function kept(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (error) {
      failures++;
      throw error;
    }
  };
}

function runDemo(args: string[], name: string) {
  const demo = startProcess(process.execPath, ["run", "sim/demo.ts", ...args], {
    cwd: ROOT,
    logPath: join(dir, `${name}.log`),
  });
  demos.push(demo);
  return demo;
}

describe("bun run demo", () => {
  test(
    "a small run serves every allowed pod, refuses team-c, kills the leader and passes",
    kept(async () => {
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
    }),
  );

  test(
    "--chaos (watches cut, 410 forced, Vault stopped) still serves every allowed pod",
    kept(async () => {
      const demo = runDemo(
        [
          "--pods",
          "5",
          "--chaos",
          "--controller-prefix",
          "127.0.46",
          "--pod-prefix",
          "127.46",
          "--state-dir",
          join(dir, "chaos"),
        ],
        "chaos",
      );
      const code = await demo.exited();
      const output = demo.output();
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain("chaos: every API watch cut and history compacted");
      expect(output).toContain("chaos: Vault stopped for 3 s");
      expect(output).toContain("chaos: Vault back");
      expect(output).toMatch(/tokens Vault's lookup-self accepts\s+4\/4\s+ok/);
      expect(output).toContain("DEMO PASSED");
    }),
  );

  test(
    "--sidecar renews and re-issues every pod's token, none seen expired, and a deleted pod's sidecar revokes its own",
    kept(async () => {
      const demo = runDemo(
        [
          "--sidecar",
          "--pods",
          "3",
          "--controller-prefix",
          "127.0.47",
          "--pod-prefix",
          "127.47",
          "--state-dir",
          join(dir, "sidecar"),
        ],
        "sidecar",
      );
      const code = await demo.exited();
      const output = demo.output();
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toMatch(/pods whose token was renewed \(renew-self\)\s+3\/3\s+ok/);
      expect(output).toMatch(/pods re-issued a token by the controller\s+3\/3\s+ok/);
      expect(output).toMatch(/token files seen past their lease\s+0\s+ok/);
      expect(output).toMatch(/token files holding a token Vault refused\s+0\s+ok/);
      expect(output).toMatch(/a deleted pod's sidecar revoked its token \(revoke-self\)\s+\S+: revoked\s+ok/);
      const counted = Number(/re-issues the controllers counted\s+(\d+)/.exec(output)?.[1] ?? "0");
      expect(counted).toBeGreaterThanOrEqual(3);
      expect(output).toContain("DEMO PASSED");
    }),
  );

  test(
    "--keep leaves everything up with instructions until SIGINT, which stops every process it started",
    kept(async () => {
      const demo = runDemo(
        [
          "--pods",
          "3",
          "--keep",
          "--controller-prefix",
          "127.0.45",
          "--pod-prefix",
          "127.45",
          "--state-dir",
          join(dir, "keep"),
        ],
        "keep",
      );
      const output = await waitFor(
        "the demo to print its --keep instructions (or exit)",
        () =>
          (demo.output().includes("Ctrl-C stops everything.") || demo.exitCode() !== null) && demo.output(),
        120_000,
      );
      expect(output).toContain("DEMO PASSED");
      expect(output).toMatch(/export VAULT_ADDR=https:\/\/127\.0\.0\.1:\d+ VAULT_CACERT=\S+vault-ca\.pem/);
      expect(output).toContain(
        'curl -s --cacert $VAULT_CACERT -H "X-Vault-Token: $VAULT_TOKEN" $VAULT_ADDR/v1/',
      );
      const pids = [...output.matchAll(/kill -9 (\d+) +# kubernetes-vault-\d/g)].map((match) =>
        Number(match[1]),
      );
      expect(pids.length).toBeGreaterThan(0);
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(pids.every(alive)).toBe(true);
      demo.signal("SIGINT");
      expect(await demo.exited()).toBe(130);
      expect(demo.output()).toContain("SIGINT: stopping everything the demo started");
      expect(pids.filter(alive)).toEqual([]);
    }),
  );

  test(
    "a bad flag exits 2 with the reason and the usage",
    kept(async () => {
      const demo = runDemo(["--pods", "1"], "bad-flag");
      expect(await demo.exited()).toBe(2);
      expect(demo.output()).toContain('--pods "1" is not a whole number from 2 to 500');
      expect(demo.output()).toContain("usage: bun run demo");
    }),
  );
});
