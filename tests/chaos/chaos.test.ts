/**
 * `bun run chaos` at CI scale, as a user runs it: 60 pods on the in-process fleet, 3 Raft replicas, two leader
 * SIGKILLs, a 3 s Vault outage, one watch cut with a forced 410 and a short SIGSTOP. It must pass (exit 0) and print
 * every count line; once it has exited, none of its controllers may still answer. A bad flag exits 2 with the usage.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fetchText } from "../../sim/demo/replicas.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";

setDefaultTimeout(300_000);

const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "kv-chaos-test-"));
// Addresses of this test's own, so it runs beside a demo, a chaos run or another test using the defaults.
const CONTROLLER_PREFIX = "127.0.245";
const runs: TestProcess[] = [];
let failures = 0;

afterAll(async () => {
  // SIGINT: the chaos run then stops its controllers, fleet and sandbox by pid. A SIGKILLed run would orphan them.
  for (const run of runs) run.signal("SIGINT");
  await Promise.race([
    Promise.all(runs.map((run) => run.exited())),
    new Promise((resolve) => setTimeout(resolve, 30_000)),
  ]);
  for (const run of runs) await run.stop();
  if (failures === 0) rmSync(dir, { recursive: true, force: true });
  else console.error(`chaos logs kept in ${dir}`);
});

function runChaos(args: string[], name: string): TestProcess {
  const run = startProcess(process.execPath, ["run", "sim/chaos.ts", ...args], {
    cwd: ROOT,
    logPath: join(dir, `${name}.log`),
  });
  runs.push(run);
  return run;
}

describe("bun run chaos", () => {
  test("a CI-scale run serves every pod once through kills, a Vault outage, a 410 and a SIGSTOP", async () => {
    try {
      const run = runChaos(
        [
          "--pods=60",
          "--rate=15",
          "--leader-kills=2",
          "--kill-every-s=3",
          "--vault-outage-s=3",
          "--watch-cuts=1",
          "--sigstop-s=2",
          "--seed=7",
          "--duration-limit=120",
          `--controller-prefix=${CONTROLLER_PREFIX}`,
          `--state-dir=${join(dir, "state")}`,
        ],
        "ci",
      );
      const code = await run.exited();
      const output = run.output();
      expect({ code, tail: code === 0 ? "" : output.slice(-4000) }).toEqual({ code: 0, tail: "" });
      expect(output).toMatch(/pods created\s+60\/60\s+ok/);
      expect(output).toMatch(/pods served \(token file written\)\s+60\/60\s+ok/);
      expect(output).toMatch(/pods with no successful Vault login\s+0\s+ok/);
      expect(output).toMatch(/duplicate logins \(beyond one per pod UID and init run\)\s+0 \(\d+ logins/);
      expect(output).toMatch(/controller crashes \(exits not caused by the run\)\s+0\s+ok/);
      expect(output.match(/replica RSS \(limit 400 MB\)\s+kubernetes-vault-\d max \d+ MB.*ok/g)?.length).toBe(
        3,
      );
      expect(
        output.match(/Raft log of kubernetes-vault-\d\s+intact: .*torn tail cut \d+ bytes\s+ok/g)?.length,
      ).toBe(3);
      expect(output).toMatch(/leader kills \(SIGKILL \+ restart\)\s+2 /);
      expect(output).toMatch(/vault outage\s+3 s/);
      expect(output).toMatch(/watch cuts\s+1/);
      expect(output).toMatch(/forced 410s \(history compacted\)\s+1/);
      expect(output).toMatch(/SIGSTOPs\s+1 \(2 s\)/);
      expect(output).toContain("CHAOS PASSED");
      // Everything it started is gone: no replica answers on its address any more.
      for (const n of [1, 2, 3])
        expect(await fetchText(`http://${CONTROLLER_PREFIX}.${n}:8080/metrics`)).toBeUndefined();
    } catch (error) {
      failures++;
      throw error;
    }
  });

  test("a bad flag exits 2 and prints the usage", async () => {
    const run = runChaos(["--pods=none"], "bad-flag");
    expect(await run.exited()).toBe(2);
    expect(run.output()).toContain("--pods");
    expect(run.output()).toContain("usage: bun run chaos");
  });
});
