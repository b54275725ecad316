/** Raft paper §6 / thesis §4: single-server membership changes with learners. */
import { describe, expect, test } from "bun:test";
import { decodeConfChange, EntryType, encodeConfChange } from "../../lib/raft/index.ts";
import { clusterLedBy } from "./helpers.ts";

describe("§6 cluster membership changes", () => {
  test("a learner joins, receives the log (initial membership by snapshot) and does not vote", () => {
    const cluster = clusterLedBy("a");
    cluster.propose("a", "before-join");
    expect(cluster.proposeConfChange("a", { type: "addLearner", nodeId: "d" }).accepted).toBe(true);
    cluster.addNode("d");
    cluster.ticks(4);
    expect(cluster.node("a").status().conf).toEqual({ voters: ["a", "b", "c"], learners: ["d"] });
    expect(cluster.node("d").status().conf).toEqual({ voters: ["a", "b", "c"], learners: ["d"] });
    expect(cluster.values("d")).toEqual(["before-join"]);
    // A learner never campaigns, however long it waits without a leader.
    cluster.network.isolate("d", cluster.ids());
    cluster.ticks(60);
    expect(cluster.node("d").status().role).toBe("follower");
    expect(cluster.node("d").status().term).toBe(cluster.node("a").status().term);
  });

  test("a learner is promoted once caught up; then it counts toward the quorum", () => {
    const cluster = clusterLedBy("a");
    cluster.proposeConfChange("a", { type: "addLearner", nodeId: "d" });
    cluster.addNode("d");
    cluster.ticks(4);
    expect(cluster.proposeConfChange("a", { type: "promote", nodeId: "d" }).accepted).toBe(true);
    cluster.ticks(2);
    expect(cluster.node("a").status().conf.voters).toEqual(["a", "b", "c", "d"]);
    // With 4 voters, a and d alone (2 of 4) cannot commit; a, b and d can.
    cluster.network.isolate("b", cluster.ids());
    cluster.network.isolate("c", cluster.ids());
    const blocked = cluster.propose("a", "needs-three");
    cluster.ticks(2);
    expect(cluster.node("a").status().commit).toBeLessThan(blocked.accepted ? blocked.index : 0);
    cluster.network.heal();
    cluster.network.isolate("c", cluster.ids());
    cluster.ticks(3);
    expect(cluster.values("d")).toEqual(["needs-three"]);
  });

  test("promotion of a learner that has not caught up is refused with the reason", () => {
    const cluster = clusterLedBy("a");
    cluster.proposeConfChange("a", { type: "addLearner", nodeId: "d" });
    cluster.ticks(2); // d was never started: it cannot catch up
    const result = cluster.node("a").proposeConfChange({ type: "promote", nodeId: "d" });
    expect(result.accepted).toBe(false);
    expect(result.accepted ? "" : result.reason).toMatch(/has not caught up/);
  });

  test("only one change at a time; invalid changes are refused", () => {
    const cluster = clusterLedBy("a");
    cluster.network.isolate("b", cluster.ids());
    cluster.network.isolate("c", cluster.ids());
    expect(cluster.proposeConfChange("a", { type: "addLearner", nodeId: "d" }).accepted).toBe(true);
    const second = cluster.node("a").proposeConfChange({ type: "addLearner", nodeId: "e" });
    expect(second.accepted ? "" : second.reason).toMatch(/already in progress/);
    cluster.network.heal();
    cluster.ticks(3);
    const again = cluster.node("a").proposeConfChange({ type: "addLearner", nodeId: "d" });
    expect(again.accepted ? "" : again.reason).toMatch(/already a member/);
    const promote = cluster.node("a").proposeConfChange({ type: "promote", nodeId: "b" });
    expect(promote.accepted ? "" : promote.reason).toMatch(/not a learner/);
  });

  test("removing a voter shrinks the quorum", () => {
    const cluster = clusterLedBy("a");
    expect(cluster.proposeConfChange("a", { type: "remove", nodeId: "c" }).accepted).toBe(true);
    cluster.ticks(2);
    expect(cluster.node("b").status().conf.voters).toEqual(["a", "b"]);
    cluster.crash("c");
    cluster.propose("a", "two-voters");
    cluster.ticks(2);
    expect(cluster.values("b")).toEqual(["two-voters"]);
  });

  test("a leader that removes itself steps down and the others elect a leader", () => {
    const cluster = clusterLedBy("a");
    cluster.proposeConfChange("a", { type: "remove", nodeId: "a" });
    cluster.ticks(2);
    expect(cluster.node("a").status().role).toBe("follower");
    const next = cluster.electLeader();
    expect(["b", "c"]).toContain(next);
    cluster.propose(next, "after-removal");
    cluster.ticks(2);
    expect(cluster.values("b")).toContain("after-removal");
    expect(cluster.node(next).status().conf.voters).toEqual(["b", "c"]);
  });

  test("membership survives a restart (replayed from the log)", () => {
    const cluster = clusterLedBy("a");
    cluster.proposeConfChange("a", { type: "addLearner", nodeId: "d" });
    cluster.ticks(2);
    cluster.crash("b");
    cluster.restart("b");
    expect(cluster.node("b").status().conf.learners).toEqual(["d"]);
  });

  test("ConfChange entries round-trip and reject garbage", () => {
    const change = { type: "promote", nodeId: "n4" } as const;
    expect(decodeConfChange(encodeConfChange(change))).toEqual(change);
    expect(() => decodeConfChange(new TextEncoder().encode('{"type":"explode","nodeId":"x"}'))).toThrow(
      /ConfChange.type/,
    );
    expect(EntryType.ConfChange).toBe(1);
  });
});
