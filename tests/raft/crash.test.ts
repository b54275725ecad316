/**
 * Crashes and restarts where storage loses unsynced writes: whatever a node had not made durable is
 * gone, and since nothing it had not persisted was ever acknowledged, no committed entry is lost.
 */
import { describe, expect, test } from "bun:test";
import { MessageType } from "../../lib/raft/index.ts";
import { clusterLedBy, encode } from "./helpers.ts";
import { SafetyChecker } from "./sim/index.ts";

describe("crash and restart", () => {
  test("a follower that crashes mid-write loses only entries it never acknowledged", () => {
    const cluster = clusterLedBy("a");
    cluster.propose("a", "durable");
    cluster.ticks(2);
    cluster.stalled.add("b"); // b's host is stuck writing its next Ready
    const proposal = cluster.node("a").propose(encode("in-flight"));
    cluster.stabilize();
    const index = proposal.accepted ? proposal.index : -1;
    expect(cluster.node("b").raft.log.lastIndex()).toBe(index); // received...
    expect(cluster.get("b").storage.lastIndex()).toBeLessThan(index); // ...not durable...
    expect(cluster.node("a").status().progress.get("b")?.match).toBeLessThan(index); // ...not acknowledged
    cluster.crash("b", true); // part of the write may land, without fsync returning
    cluster.stalled.delete("b");
    cluster.restart("b");
    cluster.ticks(4);
    for (const id of cluster.ids()) expect(cluster.values(id)).toEqual(["durable", "in-flight"]);
  });

  test("a leader crashing before its write completed loses the proposal, never a committed entry", () => {
    const cluster = clusterLedBy("a");
    cluster.propose("a", "committed");
    cluster.ticks(2);
    const lost = cluster.node("a").propose(encode("never-persisted"));
    expect(lost.accepted).toBe(true);
    cluster.crash("a", false); // the Ready holding it was never written
    cluster.restart("a");
    const leader = cluster.electLeader();
    cluster.propose(leader, "next");
    cluster.ticks(4);
    for (const id of cluster.ids()) expect(cluster.values(id)).toEqual(["committed", "next"]);
  });

  test("a restarted node keeps its term and vote (no double voting after a crash)", () => {
    const cluster = clusterLedBy("a");
    const before = cluster.node("b").status();
    cluster.crash("b");
    cluster.restart("b");
    const after = cluster.node("b").status();
    expect([after.term, after.vote]).toEqual([before.term, before.vote]);
  });

  test("the whole cluster restarting from storage keeps every committed entry", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { compactAfter: 4 });
    const checker = new SafetyChecker(cluster); // same state at every index, before and after restart
    for (let i = 0; i < 10; i++) cluster.propose("a", `v${i}`);
    cluster.ticks(2);
    const appliedBefore = cluster.get("a").machine.index;
    for (const id of cluster.ids()) cluster.crash(id);
    for (const id of cluster.ids()) cluster.restart(id);
    const leader = cluster.electLeader();
    cluster.ticks(3);
    checker.checkStep();
    expect(checker.violations).toEqual([]);
    for (const id of cluster.ids()) {
      expect(cluster.get(id).machine.index).toBe(appliedBefore + 1); // + the new leader's no-op
      expect(cluster.get(id).machine.chain).toBe(cluster.get(leader).machine.chain);
    }
  });

  test("acknowledgements only ever cover durable entries (checked on every message sent)", () => {
    const cluster = clusterLedBy("a");
    const acks: number[] = [];
    cluster.observers.push({
      onSend: (id, ready, storage) => {
        for (const m of ready.messages) {
          if (m.type === MessageType.AppendResponse && !m.reject) acks.push(storage.lastIndex() - m.index);
        }
        expect(id).not.toBe("");
      },
    });
    for (let i = 0; i < 10; i++) cluster.propose("a", `v${i}`);
    cluster.ticks(2);
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((slack) => slack >= 0)).toBe(true);
  });
});
