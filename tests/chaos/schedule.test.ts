/**
 * The chaos schedule is decided by the seed alone (a failing run replays with the same --seed), holds exactly the
 * disruptions asked for, in time order, and the flags that shape it are checked with a message naming the flag.
 */
import { describe, expect, test } from "bun:test";
import { chaosSchedule, parseChaosOptions } from "../../sim/chaos/index.ts";

const base = parseChaosOptions(["--seed=11"]);

describe("chaos schedule", () => {
  test("the same seed gives the same schedule; another seed another one", () => {
    expect(chaosSchedule(base)).toEqual(chaosSchedule({ ...base }));
    expect(chaosSchedule({ ...base, seed: 12 })).not.toEqual(chaosSchedule(base));
  });

  test("holds the asked disruptions, in time order, kills a few seconds apart", () => {
    const events = chaosSchedule({ ...base, leaderKills: 4, killEveryS: 3, watchCuts: 2 });
    const kinds = (kind: string) => events.filter((e) => e.kind === kind);
    expect(kinds("kill-leader")).toHaveLength(4);
    expect(kinds("cut-watches")).toHaveLength(2);
    expect(kinds("vault-outage")).toEqual([expect.objectContaining({ ms: 10_000 })]);
    expect(kinds("sigstop")).toEqual([expect.objectContaining({ ms: 5_000 })]);
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort((a, b) => a - b));
    const kills = kinds("kill-leader").map((e) => e.at);
    for (let i = 1; i < kills.length; i++) {
      const gap = (kills[i] ?? 0) - (kills[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(2_000);
      expect(gap).toBeLessThanOrEqual(4_000);
    }
  });

  test("a zero outage or SIGSTOP length leaves that disruption out", () => {
    const events = chaosSchedule({ ...base, vaultOutageS: 0, sigstopS: 0 });
    expect(events.some((e) => e.kind === "vault-outage" || e.kind === "sigstop")).toBe(false);
  });

  test("defaults follow issue 8 and bad values name the flag", () => {
    const defaults = parseChaosOptions([]);
    expect({ pods: defaults.pods, replicas: defaults.replicas, outage: defaults.vaultOutageS }).toEqual({
      pods: 1000,
      replicas: 3,
      outage: 10,
    });
    expect(() => parseChaosOptions(["--replicas=2"])).toThrow("--replicas");
    expect(() => parseChaosOptions(["--controller-prefix=10.0.0"])).toThrow("--controller-prefix");
  });
});
