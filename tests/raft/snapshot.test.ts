/** Raft paper §7: log compaction and InstallSnapshot. */
import { describe, expect, test } from "bun:test";
import { MessageType } from "../../lib/raft/index.ts";
import { clusterLedBy, recordMessages } from "./helpers.ts";

describe("§7 log compaction", () => {
  test("compaction bounds the log; a follower behind the snapshot is sent it and converges", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { compactAfter: 5 });
    cluster.network.isolate("c", cluster.ids());
    for (let i = 0; i < 30; i++) cluster.propose("a", `v${i}`);
    expect(cluster.get("a").storage.firstIndex()).toBeGreaterThan(20);
    const messages = recordMessages(cluster);
    cluster.network.heal();
    cluster.ticks(6);
    expect(messages.some((m) => m.type === MessageType.InstallSnapshot && m.to === "c")).toBe(true);
    expect(cluster.get("c").machine.index).toBe(cluster.get("a").machine.index);
    expect(cluster.get("c").machine.chain).toBe(cluster.get("a").machine.chain);
    cluster.propose("a", "after-snapshot");
    cluster.ticks(2);
    expect(cluster.values("c").at(-1)).toBe("after-snapshot");
    expect(cluster.get("c").machine.chain).toBe(cluster.get("a").machine.chain);
  });

  test("a lost snapshot is sent again", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { compactAfter: 5 });
    cluster.network.isolate("c", cluster.ids());
    for (let i = 0; i < 20; i++) cluster.propose("a", `v${i}`);
    cluster.network.heal();
    let dropped = 0;
    cluster.network.intercept = (m) => {
      if (m.type !== MessageType.InstallSnapshot || dropped > 0) return true;
      dropped++;
      return false;
    };
    cluster.ticks(30);
    expect(dropped).toBe(1);
    expect(cluster.get("c").machine.chain).toBe(cluster.get("a").machine.chain);
  });

  test("a restarted node rebuilds its state machine from its own snapshot plus the log", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { compactAfter: 4 });
    for (let i = 0; i < 12; i++) cluster.propose("a", `v${i}`);
    cluster.ticks(2);
    const before = cluster.get("b").machine.chain;
    cluster.crash("b");
    cluster.restart("b");
    cluster.ticks(3);
    expect(cluster.get("b").storage.firstIndex()).toBeGreaterThan(1);
    expect(cluster.get("b").machine.chain).toBe(before);
  });

  test("the snapshot carries the membership at its index", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { compactAfter: 3 });
    cluster.proposeConfChange("a", { type: "addLearner", nodeId: "d" });
    for (let i = 0; i < 8; i++) cluster.propose("a", `v${i}`);
    expect(cluster.get("a").storage.snapshot().metadata.confState.learners).toEqual(["d"]);
    cluster.addNode("d");
    cluster.ticks(4);
    expect(cluster.node("d").status().conf).toEqual({ voters: ["a", "b", "c"], learners: ["d"] });
    expect(cluster.get("d").machine.chain).toBe(cluster.get("a").machine.chain);
  });
});
