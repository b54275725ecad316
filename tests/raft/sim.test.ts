/**
 * The seeded randomized simulation (tests/raft/sim): a few hundred seeds in CI, exact replay from a
 * seed, the checker's ability to see violations, and the raft-sim CLI.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { EntryType } from "../../lib/raft/index.ts";
import { HashChainMachine, runSimulation, SafetyChecker, SimCluster } from "./sim/index.ts";

const CI_SEEDS = 300;
const CI_STEPS = 400;

describe("randomized simulation", () => {
  test(`${CI_SEEDS} seeds x ${CI_STEPS} steps: no safety or liveness violation`, () => {
    const failures: string[] = [];
    let committed = 0;
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      const result = runSimulation({ seed, steps: CI_STEPS });
      committed += result.committed;
      if (result.violations.length > 0) failures.push(`seed ${seed}: ${result.violations.join("; ")}`);
    }
    expect(failures).toEqual([]);
    // The run must actually do work, or "no violation" would mean nothing.
    expect(committed).toBeGreaterThan(CI_SEEDS * 20);
  });

  test("a seed replays exactly", () => {
    for (const seed of [3, 77, 1234]) {
      expect(runSimulation({ seed, steps: 300 })).toEqual(runSimulation({ seed, steps: 300 }));
    }
  });

  test("the checker reports state-machine and election-safety violations", () => {
    const cluster = new SimCluster({ voters: ["a", "b", "c"], seed: 1 });
    const checker = new SafetyChecker(cluster);
    cluster.electLeader();
    const fake = { index: 99, term: 1, type: EntryType.Normal, data: new Uint8Array() };
    checker.onApply("a", fake, cluster.get("a").machine);
    const forged = new HashChainMachine();
    forged.chain = 12345;
    checker.onApply("b", fake, forged);
    expect(checker.violations.some((v) => v.includes("state machine safety"))).toBe(true);
    // Force a second leader in the same term behind Raft's back.
    const leader = cluster.leader() ?? "";
    const other = cluster.ids().find((id) => id !== leader) ?? "";
    const raft = cluster.node(other).raft;
    raft.role = "leader";
    raft.lead = other;
    checker.checkStep();
    expect(checker.violations.some((v) => v.includes("election safety"))).toBe(true);
  });

  test("raft-sim CLI prints a summary and exits 0; bad arguments exit non-zero", async () => {
    const cli = join(import.meta.dir, "sim-cli.ts");
    const ok = Bun.spawn([process.execPath, cli, "--seeds", "5", "--steps", "100"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      expect(await ok.exited).toBe(0);
      expect(await new Response(ok.stdout).text()).toMatch(
        /5 seeds x 100 steps.*failing seeds: 0; first failing seed: none/,
      );
    } finally {
      ok.kill();
    }
    const bad = Bun.spawn([process.execPath, cli, "--seeds", "many"], { stdout: "pipe", stderr: "pipe" });
    try {
      expect(await bad.exited).not.toBe(0);
      expect(await new Response(bad.stderr).text()).toContain("--seeds must be a whole number");
    } finally {
      bad.kill();
    }
  });
});
