// RaftHost with a hand-driven monotonic clock and an in-memory network (no timers started): the acting leader is
// lease-gated, so after a pause longer than the lease it says "not acting" before it has processed anything;
// proposals pending when leadership is lost are refused; missed ticks are caught up, with a bound.
import { expect, test } from "bun:test";
import { createLogger } from "../../lib/log/index.ts";
import {
  createRaftHost,
  MAX_CATCH_UP_TICKS,
  ProposalRefusedError,
  pickTransferee,
  RAFT_TIMING,
  type RaftHost,
  TickClock,
} from "../../lib/raft/host/index.ts";
import {
  createSeededRandom,
  MemoryStorage,
  type Message,
  NO_NODE,
  type Status,
} from "../../lib/raft/index.ts";
import { waitFor } from "../support/wait.ts";

const log = createLogger("error", { component: "host-test" });

function network(ids: string[]) {
  let time = 0;
  const hosts = new Map<string, RaftHost<number>>();
  const cut = new Set<string>();
  for (const [i, id] of ids.entries()) {
    let applied = 0;
    hosts.set(
      id,
      createRaftHost<number>({
        id,
        initialVoters: ids,
        storage: new MemoryStorage(),
        stateMachine: { apply: () => ++applied, snapshot: () => new Uint8Array(0), restore: () => {} },
        send: (messages: readonly Message[]) => {
          for (const m of messages) {
            if (cut.has(m.from) || cut.has(m.to)) continue;
            queueMicrotask(() => hosts.get(m.to)?.step(m));
          }
        },
        random: createSeededRandom(7 + i),
        log,
        now: () => time,
      }),
    );
  }
  const all = [...hosts.values()];
  return {
    hosts: all,
    cut,
    /** Advances time by one tick for everyone, then lets messages and Ready loops run. */
    async tick(nodes = all) {
      time += RAFT_TIMING.tickMs;
      for (const host of nodes) host.isActing();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    },
    jump(ms: number) {
      time += ms;
    },
  };
}

/** Ticks everyone until exactly one host acts as leader. */
function actingLeader(net: ReturnType<typeof network>): Promise<RaftHost<number>> {
  return waitFor("an acting leader", async () => {
    await net.tick();
    const acting = net.hosts.filter((h) => h.isActing());
    return acting.length === 1 ? acting[0] : undefined;
  });
}

test("a paused leader stops acting the moment it resumes, before reading any message", async () => {
  const net = network(["a", "b", "c"]);
  const leader = await actingLeader(net);
  for (let i = 0; i < 5; i++) await net.tick();
  expect(leader.isActing()).toBe(true);
  // A pause as long as the lease: no tick, no message in between, and yet the answer is already no.
  net.jump(RAFT_TIMING.tickMs * (RAFT_TIMING.electionTicks - 1));
  expect(leader.isActing()).toBe(false);
});

test("a stall of every process longer than the election timeout costs no election: the leader resumes acting", async () => {
  const net = network(["a", "b", "c"]);
  const leader = await actingLeader(net);
  for (let i = 0; i < 5; i++) await net.tick();
  const term = leader.status().term;
  // A machine-wide stall (a starved 2-core box): everybody's timers fire late, all at once.
  net.jump(RAFT_TIMING.tickMs * RAFT_TIMING.electionTicks * 3);
  expect(leader.isActing()).toBe(false);
  await waitFor("the same leader acting again", async () => {
    await net.tick();
    return leader.isActing();
  });
  for (let i = 0; i < 3 * RAFT_TIMING.electionTicks; i++) await net.tick();
  expect(leader.isActing()).toBe(true);
  expect(net.hosts.map((h) => h.status().term)).toEqual([term, term, term]);
});

test("proposals pending when leadership is lost are refused; followers refuse at once", async () => {
  const net = network(["a", "b", "c"]);
  const leader = await actingLeader(net);
  expect(await leader.propose(new TextEncoder().encode("one"))).toBe(1);
  const follower = net.hosts.find((h) => h !== leader);
  await expect(follower?.propose(new TextEncoder().encode("x"))).rejects.toBeInstanceOf(ProposalRefusedError);
  net.cut.add(leader.id);
  const pending = leader.propose(new TextEncoder().encode("two"));
  const outcome = pending.then(
    () => "resolved",
    (error: unknown) => error,
  );
  const others = net.hosts.filter((h) => h !== leader);
  await waitFor("another leader among the majority", async () => {
    await net.tick();
    return others.some((h) => h.isActing());
  });
  for (let i = 0; i < 2 * RAFT_TIMING.electionTicks; i++) await net.tick([leader]);
  expect(await outcome).toBeInstanceOf(ProposalRefusedError);
  expect(leader.isActing()).toBe(false);
});

test("TickClock catches up missed ticks, at most MAX_CATCH_UP_TICKS at once", () => {
  let now = 1_000;
  const clock = new TickClock(30, () => now);
  expect(clock.due()).toBe(0);
  now += 95;
  expect(clock.due()).toBe(3);
  now += 10;
  expect(clock.due()).toBe(0);
  now += 30 * 10_000;
  expect(clock.due()).toBe(MAX_CATCH_UP_TICKS);
  now += 30;
  expect(clock.due()).toBe(1);
});

test("TickClock says how long until the next tick is due, so the host wakes once per tick", () => {
  let now = 1_000;
  const clock = new TickClock(30, () => now);
  expect(clock.msUntilNextTick()).toBe(30);
  now += 29.5;
  expect(clock.msUntilNextTick()).toBe(1);
  now += 0.5;
  expect(clock.due()).toBe(1);
  expect(clock.msUntilNextTick()).toBe(30);
  now += 31;
  expect(clock.msUntilNextTick()).toBe(29);
});

test("a graceful leader hands over to a voter that answered a recent heartbeat, not to a silent one further ahead", () => {
  const follower = (match: number, heardTicksAgo: number) =>
    ({ match, next: match + 1, state: "replicate", heardTicksAgo }) as const;
  const status: Status = {
    id: "a",
    term: 3,
    vote: "a",
    leaderId: "a",
    role: "leader",
    commit: 10,
    applied: 10,
    lastIndex: 10,
    leaseValid: true,
    conf: { voters: ["a", "b", "c", "d", "e"], learners: ["f"] },
    transferee: NO_NODE,
    progress: new Map([
      ["a", follower(10, 0)],
      // Restarted at a new address: still "caught up" from before, but silent since.
      ["b", follower(10, 7)],
      ["c", follower(9, 6)],
      ["d", follower(8, 0)],
      ["e", follower(10, Number.POSITIVE_INFINITY)],
      ["f", follower(10, 0)],
    ]),
  };
  expect(pickTransferee(status, "a", new Set(), 3)).toBe("c");
  expect(pickTransferee(status, "a", new Set(["c"]), 3)).toBe("d");
  // Nobody reachable: the most up-to-date voter, the most recently heard first.
  expect(pickTransferee(status, "a", new Set(["c", "d"]), 3)).toBe("b");
  expect(pickTransferee(status, "a", new Set(["b", "c", "d", "e"]), 3)).toBeUndefined();
});
