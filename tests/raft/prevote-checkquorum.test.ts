/** Raft thesis §9.6 (pre-vote, check-quorum), the leader lease, and §3.10 leadership transfer. */
import { describe, expect, test } from "bun:test";
import { CAMPAIGN_TRANSFER, MessageType, message } from "../../lib/raft/index.ts";
import { clusterLedBy, ELECTION_TICKS } from "./helpers.ts";

describe("§9.6 pre-vote", () => {
  test("a partitioned node does not inflate its term, and rejoining does not depose the leader", () => {
    const cluster = clusterLedBy("a");
    const term = cluster.node("a").status().term;
    cluster.network.isolate("c", cluster.ids());
    cluster.ticks(10 * ELECTION_TICKS);
    expect(cluster.node("c").status().term).toBe(term);
    cluster.network.heal();
    cluster.ticks(3);
    expect(cluster.leader()).toBe("a");
    expect(cluster.node("a").status().term).toBe(term);
  });

  test("without pre-vote and check-quorum the same partition disrupts the cluster (why we use them)", () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { preVote: false, checkQuorum: false });
    const term = cluster.node("a").status().term;
    cluster.network.isolate("c", cluster.ids());
    cluster.ticks(10 * ELECTION_TICKS);
    expect(cluster.node("c").status().term).toBeGreaterThan(term + 3);
    cluster.network.heal();
    cluster.ticks(3);
    expect(cluster.node("a").status().term).toBeGreaterThan(term);
  });
});

describe("§9.6 check-quorum", () => {
  test("a leader cut off from its quorum steps down within two election timeouts", () => {
    const cluster = clusterLedBy("a");
    cluster.network.isolate("a", cluster.ids());
    cluster.ticks(2 * ELECTION_TICKS);
    expect(cluster.node("a").status().role).toBe("follower");
  });

  test("followers in contact with a leader ignore vote requests from a higher term", () => {
    const cluster = clusterLedBy("a");
    const b = cluster.node("b");
    const term = b.status().term;
    b.step(message({ type: MessageType.Vote, from: "c", to: "b", term: term + 1, index: 99, logTerm: 99 }));
    expect(b.status().term).toBe(term);
    expect(b.hasReady()).toBe(false);
    // A higher term carried by a response (e.g. a candidate answering a stale Append) is ignored too:
    // adopting it would forget the leader and free b's vote for that candidate.
    b.step(message({ type: MessageType.AppendResponse, from: "c", to: "b", term: term + 1 }));
    expect(b.status()).toMatchObject({ term, leaderId: "a" });
    b.step(message({ type: MessageType.Vote, from: "c", to: "b", term: term + 1, index: 99, logTerm: 99 }));
    expect(b.status().vote).not.toBe("c");
    // ...unless the leader itself handed over (TimeoutNow).
    b.step(
      message({
        type: MessageType.Vote,
        from: "c",
        to: "b",
        term: term + 1,
        index: 99,
        logTerm: 99,
        context: CAMPAIGN_TRANSFER,
      }),
    );
    expect(b.status().term).toBe(term + 1);
    expect(b.status().vote).toBe("c");
  });
});

describe("leader lease", () => {
  test("a partitioned leader stops acting before anyone else can be elected", () => {
    const cluster = clusterLedBy("a");
    expect(cluster.node("a").status().leaseValid).toBe(true);
    cluster.network.isolate("a", cluster.ids());
    let leaseEndedAt = -1;
    let newLeaderAt = -1;
    for (let tick = 1; tick <= 5 * ELECTION_TICKS && newLeaderAt < 0; tick++) {
      cluster.tick();
      if (leaseEndedAt < 0 && !cluster.node("a").status().leaseValid) leaseEndedAt = tick;
      if (cluster.leaders().some((id) => id !== "a")) newLeaderAt = tick;
    }
    expect(leaseEndedAt).toBeGreaterThan(0);
    expect(newLeaderAt).toBeGreaterThan(leaseEndedAt);
  });

  test("the lease margin absorbs 10% clock drift; far larger drift breaks the lease assumption", () => {
    const overlapTicks = (leaderRate: number, followerRate: number): number => {
      const cluster = clusterLedBy("a");
      cluster.clockRates.set("a", leaderRate);
      for (const id of ["b", "c"]) cluster.clockRates.set(id, followerRate);
      cluster.ticks(5);
      cluster.network.isolate("a", cluster.ids());
      let overlap = 0;
      for (let tick = 0; tick < 6 * ELECTION_TICKS; tick++) {
        cluster.tick();
        if (cluster.ids().filter((id) => cluster.node(id).status().leaseValid).length > 1) overlap++;
      }
      expect(cluster.leaders().some((id) => id !== "a")).toBe(true);
      return overlap;
    };
    expect(overlapTicks(0.9, 1.1)).toBe(0);
    expect(overlapTicks(0.6, 1.4)).toBeGreaterThan(0);
  });

  test("a stopped leader (SIGSTOP) has no lease after resuming, and follows the new leader", () => {
    const cluster = clusterLedBy("a");
    cluster.pause("a");
    const next = cluster.electLeader();
    expect(next).not.toBe("a");
    // Resuming catches up the missed ticks first: the lease is void before anything else runs.
    const a = cluster.node("a");
    for (let i = 0; i < ELECTION_TICKS; i++) a.tick();
    expect(a.status().leaseValid).toBe(false);
    cluster.resume("a");
    cluster.ticks(3);
    expect(cluster.node("a").status()).toMatchObject({ role: "follower", leaderId: next });
  });

  test("the lease is only held by a leader with recent quorum contact, and a single node holds its own", () => {
    const cluster = clusterLedBy("a");
    expect(cluster.node("b").status().leaseValid).toBe(false);
    const single = clusterLedBy("solo", ["solo"]);
    expect(single.node("solo").status().leaseValid).toBe(true);
  });

  test("lease must be shorter than the election timeout", () => {
    expect(() => clusterLedBy("a", ["a"], { electionTicks: 5, heartbeatTicks: 1 })).not.toThrow();
    expect(() => clusterLedBy("a", ["a"], { electionTicks: 2, heartbeatTicks: 2 })).toThrow(/heartbeatTicks/);
  });
});

describe("§3.10 leadership transfer", () => {
  test("the transferee takes over at once and the old leader gives up its lease immediately", () => {
    const cluster = clusterLedBy("a");
    cluster.propose("a", "before");
    const term = cluster.node("a").status().term;
    cluster.node("a").transferLeadership("b");
    expect(cluster.node("a").status().leaseValid).toBe(false);
    expect(cluster.node("a").propose(new Uint8Array([1])).accepted).toBe(false);
    cluster.stabilize();
    expect(cluster.leader()).toBe("b");
    expect(cluster.node("b").status().term).toBe(term + 1);
    cluster.propose("b", "after");
    cluster.ticks(2);
    expect(cluster.values("a")).toEqual(["before", "after"]);
  });

  test("a lagging transferee is caught up first", () => {
    const cluster = clusterLedBy("a");
    cluster.network.isolate("c", cluster.ids());
    for (let i = 0; i < 10; i++) cluster.propose("a", `v${i}`);
    cluster.network.heal();
    cluster.node("a").transferLeadership("c");
    cluster.ticks(3);
    expect(cluster.leader()).toBe("c");
    expect(cluster.values("c").length).toBe(10);
  });

  test("a transfer to an unreachable, lagging node is abandoned after an election timeout", () => {
    const cluster = clusterLedBy("a");
    cluster.network.isolate("c", cluster.ids());
    cluster.propose("a", "c-lacks-this");
    cluster.node("a").transferLeadership("c");
    expect(cluster.node("a").status().leaseValid).toBe(false);
    cluster.ticks(ELECTION_TICKS + 1);
    expect(cluster.node("a").status().role).toBe("leader");
    expect(cluster.node("a").status().leaseValid).toBe(true);
  });

  test("if TimeoutNow was sent but the transfer did not happen, the old leader steps down", () => {
    const cluster = clusterLedBy("a");
    cluster.network.intercept = (m) => m.type !== MessageType.TimeoutNow;
    cluster.node("a").transferLeadership("c");
    cluster.ticks(ELECTION_TICKS + 1);
    expect(cluster.node("a").status().role).toBe("follower");
    cluster.network.intercept = undefined;
    const next = cluster.electLeader();
    cluster.ticks(2);
    expect(cluster.node(next).status().leaseValid).toBe(true);
  });
});
