/**
 * The core's building blocks in isolation: the transmit-limited news queue, the suspicion arithmetic
 * (checked against memberlist's formulas), option validation and address parsing.
 */
import { describe, expect, test } from "bun:test";
import {
  BroadcastQueue,
  compoundCost,
  expectedConfirmations,
  type News,
  parseAddress,
  retransmitLimit,
  Suspicion,
  Swim,
  suspicionMinTimeoutMs,
  suspicionTimeoutMs,
} from "../../lib/gossip/index.ts";
import { createSeededRandom } from "../../lib/raft/index.ts";

const alive = (name: string, incarnation = 1): News => ({
  type: "alive",
  name,
  incarnation,
  address: { host: "127.3.9.1", port: 1 },
  meta: {},
});

describe("transmit-limited queue", () => {
  test("the limit is RetransmitMult × ceil(log10(n + 1))", () => {
    expect([1, 3, 9, 10, 99, 100].map((n) => retransmitLimit(4, n))).toEqual([4, 4, 4, 8, 8, 12]);
  });

  test("newer news about a member replaces older news", () => {
    const queue = new BroadcastQueue(4);
    queue.push(alive("a", 1));
    queue.push({ type: "suspect", name: "a", incarnation: 1, from: "b" });
    queue.push(alive("a", 2));
    expect(queue.peek()).toEqual([alive("a", 2)]);
  });

  test("least-sent first, newest first among equals, and retired after the limit", () => {
    const queue = new BroadcastQueue(1);
    queue.push(alive("old"));
    queue.push(alive("new"));
    const cost = compoundCost(alive("old"));
    // n = 9 -> limit 1 × ceil(log10 10) = 1 transmit each.
    expect(queue.take(cost, 9, compoundCost)).toEqual([alive("new")]);
    expect(queue.peek()).toEqual([alive("old")]);
    expect(queue.take(10_000, 9, compoundCost)).toEqual([alive("old")]);
    expect(queue.size).toBe(0);
  });

  test("items that were sent less go before items sent more, whatever their age", () => {
    const queue = new BroadcastQueue(4);
    queue.push(alive("first"));
    queue.take(10_000, 3, compoundCost);
    queue.push(alive("second"));
    expect(queue.peek().map((n) => n.name)).toEqual(["second", "first"]);
  });

  test("items that do not fit the budget are left for the next packet", () => {
    const queue = new BroadcastQueue(4);
    for (const name of ["a", "b", "c"]) queue.push(alive(name));
    const cost = compoundCost(alive("a"));
    expect(queue.take(cost * 2, 3, compoundCost).length).toBe(2);
    expect(queue.take(cost, 3, compoundCost).map((n) => n.name)).toEqual(["a"]);
  });
});

describe("suspicion arithmetic (memberlist's formulas)", () => {
  test("minimum timeout = mult × interval × max(1, log10(max(1, n)))", () => {
    expect(suspicionMinTimeoutMs(4, 0, 1_000)).toBe(4_000);
    expect(suspicionMinTimeoutMs(4, 5, 1_000)).toBe(4_000);
    expect(suspicionMinTimeoutMs(4, 10, 1_000)).toBe(4_000);
    expect(suspicionMinTimeoutMs(4, 100, 1_000)).toBe(8_000);
    expect(suspicionMinTimeoutMs(4, 1_000, 400)).toBe(4_800);
  });

  test("expected confirmations are mult − 2, or none when the cluster is too small to have witnesses", () => {
    expect([2, 3, 4, 10].map((n) => expectedConfirmations(4, n))).toEqual([0, 0, 2, 2]);
  });

  test("the timeout starts at the maximum and shrinks logarithmically to the minimum", () => {
    expect(suspicionTimeoutMs(0, 2, 1_000, 6_000)).toBe(6_000);
    expect(suspicionTimeoutMs(1, 2, 1_000, 6_000)).toBe(
      Math.floor(6_000 - (Math.log(2) / Math.log(3)) * 5_000),
    );
    expect(suspicionTimeoutMs(2, 2, 1_000, 6_000)).toBe(1_000);
    expect(suspicionTimeoutMs(0, 0, 1_000, 6_000)).toBe(1_000);
  });

  test("only new, independent confirmers count, up to the expected number", () => {
    const suspicion = new Suspicion(100, "accuser", 2, 1_000, 6_000);
    expect(suspicion.deadlineMs()).toBe(6_100);
    expect(suspicion.confirm("accuser")).toBe(false);
    expect(suspicion.confirm("b")).toBe(true);
    expect(suspicion.confirm("b")).toBe(false);
    expect(suspicion.confirm("c")).toBe(true);
    expect(suspicion.confirm("d")).toBe(false);
    expect(suspicion.deadlineMs()).toBe(1_100);
  });
});

describe("options and addresses", () => {
  const base = {
    name: "a",
    address: { host: "127.3.9.1", port: 1 },
    random: createSeededRandom(1),
    nowMs: 0,
  };

  test("bad options fail at construction, naming the option", () => {
    expect(() => new Swim({ ...base, name: "" })).toThrow("name");
    expect(() => new Swim({ ...base, address: { host: "0.0.0.0.0", port: 1 } })).toThrow("address");
    expect(() => new Swim({ ...base, probeTimeoutMs: 500, probeIntervalMs: 400 })).toThrow("probeTimeoutMs");
    expect(() => new Swim({ ...base, gossipNodes: -1 })).toThrow("gossipNodes");
  });

  test("addresses parse in both families and refuse anything else", () => {
    expect(parseAddress("10.0.0.1:45678")).toEqual({ host: "10.0.0.1", port: 45678 });
    expect(parseAddress("[fd00::1]:45678")).toEqual({ host: "fd00::1", port: 45678 });
    for (const bad of ["fd00::1:45678", "host:1", "10.0.0.1", "10.0.0.1:0", "10.0.0.1:70000"]) {
      expect(() => parseAddress(bad)).toThrow("expected");
    }
  });
});
