// How a discovered replica enters Raft (lib/main/bootstrap-decision.ts): restore / bootstrap alone / join, the
// escape rule of a replica that waited in vain, and RAFT_JOIN parsing (static clusters grow with it).
import { expect, test } from "bun:test";
import { ConfigError, loadControllerConfig } from "../../lib/config/index.ts";
import { chooseBootstrap, type LiveMember, mayBootstrapWhileWaiting } from "../../lib/main/index.ts";
import { MINIMAL_CONTROLLER_ENV } from "../support/controller-env.ts";

const plain = (...names: string[]): LiveMember[] => names.map((name) => ({ name, raftMember: false }));

test.each([
  ["state in RAFT_DIR restores, whatever is seen", true, "kv-1", plain("kv-0", "kv-1"), "restore"],
  ["alone (self listed) bootstraps", false, "kv-0", plain("kv-0"), "bootstrap"],
  ["alone (self not listed yet) bootstraps", false, "kv-0", [], "bootstrap"],
  ["lowest of three bootstraps", false, "kv-0", plain("kv-2", "kv-0", "kv-1"), "bootstrap"],
  ["not the lowest joins", false, "kv-1", plain("kv-0", "kv-1", "kv-2"), "join"],
  [
    "lowest, but a higher member advertises a cluster: joins it",
    false,
    "kv-0",
    [...plain("kv-0"), { name: "kv-5", raftMember: true }],
    "join",
  ],
  [
    "our own stale flag does not count",
    false,
    "kv-1",
    [{ name: "kv-1", raftMember: true }, ...plain("kv-2")],
    "bootstrap",
  ],
] as const)("%s", (_title, hasState, self, live, expected) => {
  expect(chooseBootstrap({ hasState, self, live })).toBe(expected);
});

test("exactly one of several replicas with the same view bootstraps", () => {
  const live = plain("kv-b", "kv-c", "kv-a", "kv-d");
  const choices = live.map((m) => chooseBootstrap({ hasState: false, self: m.name, live }));
  expect(choices.filter((c) => c === "bootstrap")).toEqual(["bootstrap"]);
  expect(chooseBootstrap({ hasState: false, self: "kv-a", live })).toBe("bootstrap");
});

test("escape: only the lowest-named, only when nobody advertises, only after the sustained period", () => {
  const base = { self: "kv-3", escapeAfterMs: 120_000 };
  const alone = plain("kv-3", "kv-7");
  expect(mayBootstrapWhileWaiting({ ...base, live: alone, quietSinceMs: 0, nowMs: 119_999 })).toBe(false);
  expect(mayBootstrapWhileWaiting({ ...base, live: alone, quietSinceMs: 0, nowMs: 120_000 })).toBe(true);
  expect(mayBootstrapWhileWaiting({ ...base, live: alone, quietSinceMs: undefined, nowMs: 1e9 })).toBe(false);
  const lower = plain("kv-1", "kv-3");
  expect(mayBootstrapWhileWaiting({ ...base, live: lower, quietSinceMs: 0, nowMs: 1e9 })).toBe(false);
  const cluster = [...plain("kv-3"), { name: "kv-9", raftMember: true }];
  expect(mayBootstrapWhileWaiting({ ...base, live: cluster, quietSinceMs: 0, nowMs: 1e9 })).toBe(false);
});

const BASE = { ...MINIMAL_CONTROLLER_ENV, POD_NAME: "kv-3" };
const PEERS = "kv-0=10.0.0.2:45679,kv-1=10.0.0.3:45679,kv-3=10.0.0.5:45679";

test("RAFT_JOIN defaults to false and parses true/false with RAFT_PEERS", () => {
  expect(loadControllerConfig(BASE).raftJoin).toBe(false);
  expect(loadControllerConfig({ ...BASE, RAFT_PEERS: PEERS, RAFT_JOIN: "true" }).raftJoin).toBe(true);
  expect(loadControllerConfig({ ...BASE, RAFT_PEERS: PEERS, RAFT_JOIN: "false" }).raftJoin).toBe(false);
});

test.each([
  [{ RAFT_JOIN: "true" }, "RAFT_PEERS is empty"],
  [{ RAFT_PEERS: PEERS, RAFT_JOIN: "maybe" }, ""],
])("RAFT_JOIN %p is refused with a fix", (extra, problem) => {
  try {
    loadControllerConfig({ ...BASE, ...extra });
    throw new Error("accepted");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.filter((p) => p.variable === "RAFT_JOIN");
    expect(problems.length).toBe(1);
    expect(problems[0]?.problem).toContain(problem);
    expect(problems[0]?.fix.length).toBeGreaterThan(0);
  }
});
