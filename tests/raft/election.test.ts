/** Raft paper §5.2 (leader election) and §5.4.1 (election restriction). */
import { describe, expect, test } from "bun:test";
import { MessageType, message } from "../../lib/raft/index.ts";
import { clusterLedBy, ELECTION_TICKS, encode, newCluster, warmUp } from "./helpers.ts";

describe("§5.2 leader election", () => {
  test("a fresh cluster elects exactly one leader that every node follows", () => {
    const cluster = newCluster(["a", "b", "c", "d", "e"]);
    const leader = cluster.electLeader(5 * ELECTION_TICKS);
    cluster.ticks(3);
    expect(cluster.leaders()).toEqual([leader]);
    const term = cluster.node(leader).status().term;
    for (const id of cluster.ids()) {
      expect(cluster.node(id).status().leaderId).toBe(leader);
      expect(cluster.node(id).status().term).toBe(term);
    }
  });

  test("election timeouts are randomized in [electionTicks, 2*electionTicks)", () => {
    const timeouts = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = newCluster(["a", "b", "c"], { seed });
      for (const id of cluster.ids()) {
        const timeout = cluster.node(id).raft.randomizedElectionTimeout;
        expect(timeout).toBeGreaterThanOrEqual(ELECTION_TICKS);
        expect(timeout).toBeLessThan(2 * ELECTION_TICKS);
        timeouts.add(timeout);
      }
    }
    expect(timeouts.size).toBeGreaterThan(5);
  });

  test("the same seed gives the same election (determinism)", () => {
    const run = (): string => {
      const cluster = newCluster(["a", "b", "c"], { seed: 42 });
      const leader = cluster.electLeader();
      return `${leader}@${cluster.node(leader).status().term}@${cluster.network.now}`;
    };
    expect(run()).toBe(run());
  });

  test("a node grants at most one vote per term", () => {
    const cluster = newCluster(["a", "b", "c"], { checkQuorum: false, preVote: false });
    const b = cluster.node("b");
    const vote = (from: string) =>
      message({ type: MessageType.Vote, from, to: "b", term: 5, index: 1, logTerm: 1 });
    b.step(vote("a"));
    b.step(vote("c"));
    b.step(vote("a")); // a repeated request from the same candidate is granted again
    const responses = b.ready().messages.filter((m) => m.type === MessageType.VoteResponse);
    expect(responses.map((m) => [m.to, m.reject])).toEqual([
      ["a", false],
      ["c", true],
      ["a", false],
    ]);
    expect(b.status().vote).toBe("a");
  });

  test("the vote is durable: it is in the Ready that carries the granting response", () => {
    const cluster = newCluster(["a", "b", "c"], { checkQuorum: false, preVote: false });
    const b = cluster.node("b");
    b.step(message({ type: MessageType.Vote, from: "a", to: "b", term: 5, index: 1, logTerm: 1 }));
    const rd = b.ready();
    expect(rd.hardState).toEqual({ term: 5, vote: "a", commit: 1 });
    expect(rd.messages.some((m) => m.type === MessageType.VoteResponse && !m.reject)).toBe(true);
  });

  test("when the leader crashes, the others elect a new leader in a higher term", () => {
    const cluster = clusterLedBy("a");
    const oldTerm = cluster.node("a").status().term;
    cluster.crash("a");
    const next = cluster.electLeader();
    expect(next).not.toBe("a");
    expect(cluster.node(next).status().term).toBeGreaterThan(oldTerm);
  });

  test("a split vote is resolved by the randomized timeouts", () => {
    const cluster = newCluster(["a", "b", "c", "d"], { checkQuorum: false, preVote: false });
    // a and b campaign at once; neither can reach 3 votes if c and d split.
    cluster.network.cut("a", "d");
    cluster.network.cut("b", "c");
    cluster.node("a").campaign();
    cluster.node("b").campaign();
    cluster.stabilize();
    expect(cluster.leaders()).toEqual([]);
    cluster.network.heal();
    const leader = cluster.electLeader();
    expect(cluster.leaders()).toEqual([leader]);
  });
});

describe("§5.4.1 election restriction", () => {
  test("a node missing committed entries cannot win, with or without pre-vote", () => {
    for (const preVote of [true, false]) {
      const cluster = clusterLedBy("a", ["a", "b", "c"], { preVote, checkQuorum: false });
      cluster.network.isolate("c", cluster.ids());
      for (let i = 0; i < 5; i++) cluster.propose("a", `v${i}`);
      cluster.network.heal();
      cluster.crash("a");
      cluster.campaign("c");
      expect(cluster.get("c").node?.status().role).not.toBe("leader");
      const leader = cluster.electLeader();
      expect(leader).toBe("b");
      cluster.ticks(5);
      expect(cluster.values("c")).toEqual(["v0", "v1", "v2", "v3", "v4"]);
    }
  });

  test("voters reject a candidate whose last term is older even if its log is longer", () => {
    const cluster = newCluster(["a", "b", "c"], { checkQuorum: false, preVote: false });
    warmUp(cluster);
    const b = cluster.node("b");
    b.step(message({ type: MessageType.Vote, from: "c", to: "b", term: 9, index: 50, logTerm: 0 }));
    const response = b.ready().messages.find((m) => m.type === MessageType.VoteResponse);
    expect(response?.reject).toBe(true);
  });

  test("proposals are refused by followers, naming the leader", () => {
    const cluster = clusterLedBy("a");
    const result = cluster.node("b").propose(encode("x"));
    expect(result).toEqual({ accepted: false, reason: "not the leader", leaderId: "a" });
  });
});
