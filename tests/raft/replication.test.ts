/** Raft paper §5.3 (log replication, log matching, fast back-off) and §5.4.2 (commit rule). */
import { describe, expect, test } from "bun:test";
import { MessageType } from "../../lib/raft/index.ts";
import { clusterLedBy, recordMessages } from "./helpers.ts";
import type { SimCluster } from "./sim/index.ts";

function logTerms(cluster: SimCluster, id: string): string {
  const storage = cluster.get(id).storage;
  const first = storage.firstIndex();
  return storage
    .entries(first, storage.lastIndex() + 1)
    .map((entry) => `${entry.index}:${entry.term}`)
    .join(",");
}

describe("§5.3 log replication", () => {
  test("a proposal is replicated, committed and applied in order on every node", () => {
    const cluster = clusterLedBy("a");
    for (const value of ["x", "y", "z"]) expect(cluster.propose("a", value).accepted).toBe(true);
    cluster.ticks(2);
    for (const id of cluster.ids()) expect(cluster.values(id)).toEqual(["x", "y", "z"]);
  });

  test("log matching: a follower's conflicting uncommitted suffix is replaced by the leader's", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { checkQuorum: false });
    cluster.network.isolate("a", cluster.ids());
    for (let i = 0; i < 4; i++) cluster.node("a").propose(new TextEncoder().encode(`lost${i}`));
    cluster.stabilize();
    cluster.campaign("b");
    expect(cluster.leader()).toBe("b");
    cluster.propose("b", "kept");
    cluster.network.heal();
    cluster.ticks(4);
    expect(logTerms(cluster, "a")).toBe(logTerms(cluster, "b"));
    expect(logTerms(cluster, "c")).toBe(logTerms(cluster, "b"));
    for (const id of cluster.ids()) expect(cluster.values(id)).toEqual(["kept"]);
  });

  test("fast back-off: a follower with a long conflicting suffix is repaired in a few round trips", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { checkQuorum: false, maxEntriesPerAppend: 100 });
    cluster.network.isolate("a", cluster.ids());
    for (let i = 0; i < 60; i++) cluster.node("a").propose(new TextEncoder().encode(`stale${i}`));
    cluster.stabilize();
    cluster.campaign("b");
    for (let i = 0; i < 40; i++) cluster.propose("b", `new${i}`);
    // c takes over in a newer term with b's long log, so its first probe to a lands far above the
    // point where a's log diverged; a naive nextIndex-- would need ~40 rejections.
    cluster.crash("b");
    cluster.restart("b");
    cluster.campaign("c");
    expect(cluster.leader()).toBe("c");
    const messages = recordMessages(cluster);
    cluster.network.heal();
    cluster.ticks(4);
    const rejections = messages.filter(
      (m) => m.type === MessageType.AppendResponse && m.reject && m.from === "a",
    );
    expect(rejections.length).toBeGreaterThan(0);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(logTerms(cluster, "a")).toBe(logTerms(cluster, "c"));
  });

  test("a follower that missed messages catches up from the leader (probe then replicate)", () => {
    const cluster = clusterLedBy("a");
    cluster.network.isolate("c", cluster.ids());
    for (let i = 0; i < 40; i++) cluster.node("a").propose(new TextEncoder().encode(`v${i}`));
    cluster.stabilize();
    expect(cluster.node("a").status().progress.get("c")?.match).toBeLessThan(5);
    cluster.network.heal();
    cluster.ticks(6);
    expect(cluster.values("c").length).toBe(40);
    expect(cluster.node("a").status().progress.get("c")?.state).toBe("replicate");
  });

  test("duplicated and reordered messages do not change the outcome", () => {
    const cluster = clusterLedBy("a");
    cluster.network.faults = { dropRate: 0, duplicateRate: 0.5, maxDelay: 3 };
    for (let i = 0; i < 20; i++) {
      cluster.node("a").propose(new TextEncoder().encode(`v${i}`));
      cluster.tick();
    }
    cluster.network.faults = { dropRate: 0, duplicateRate: 0, maxDelay: 0 };
    cluster.ticks(10);
    const expected = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of cluster.ids()) expect(cluster.values(id)).toEqual(expected);
  });
});

describe("§5.4.2 committing entries from previous terms", () => {
  test("a leader does not commit an old-term entry by counting replicas, only via its own-term entry", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { checkQuorum: false, maxEntriesPerAppend: 1 });
    const committedBefore = cluster.node("a").status().commit;
    cluster.network.isolate("a", cluster.ids());
    const old = cluster.node("a").propose(new TextEncoder().encode("old-term"));
    cluster.stabilize();
    cluster.network.heal();
    expect(old.accepted).toBe(true);
    cluster.crash("a");
    cluster.restart("a");
    // a is re-elected (its log is the longest) in a newer term. Its followers store everything, but
    // their acknowledgements of the new term's no-op are lost for now.
    const oldIndex = old.accepted ? old.index : -1;
    cluster.network.intercept = (m) => !(m.type === MessageType.AppendResponse && m.index > oldIndex);
    const newTerm = cluster.node("a").status().term + 1;
    cluster.campaign("a");
    expect(cluster.node("a").status().term).toBe(newTerm);
    cluster.ticks(3);
    const progress = cluster.node("a").status().progress;
    expect(progress.get("b")?.match).toBe(oldIndex);
    expect(progress.get("c")?.match).toBe(oldIndex);
    // On a majority, yet not committed: its term is not the leader's.
    expect(cluster.node("a").status().commit).toBe(committedBefore);
    cluster.network.intercept = undefined;
    cluster.ticks(3);
    expect(cluster.node("a").status().commit).toBe(oldIndex + 1);
    for (const id of cluster.ids()) expect(cluster.values(id)).toEqual(["old-term"]);
  });

  test("a new leader commits its no-op, which commits everything before it", () => {
    const cluster = clusterLedBy("a");
    const term = cluster.node("a").status().term;
    const entries = cluster.get("a").storage.entries(2, cluster.get("a").storage.lastIndex() + 1);
    expect(entries.map((e) => [e.term, e.data.length])).toEqual([[term, 0]]);
    expect(cluster.node("a").status().commit).toBe(2);
  });
});
