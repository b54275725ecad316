/** The simulated network itself: faults and partitions behave as the simulation assumes. */
import { describe, expect, test } from "bun:test";
import { createSeededRandom, type Message, MessageType, message } from "../../lib/raft/index.ts";
import { SimNetwork } from "./sim/index.ts";

const ping = (from: string, to: string, index = 0): Message =>
  message({ type: MessageType.Heartbeat, from, to, index });

describe("SimNetwork", () => {
  test("delivers in send order when there are no faults", () => {
    const net = new SimNetwork(createSeededRandom(1));
    for (let i = 0; i < 5; i++) net.send(ping("a", "b", i));
    expect(net.takeDue().map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
  });

  test("drop, duplicate and delay follow their rates", () => {
    const net = new SimNetwork(createSeededRandom(2));
    net.faults = { dropRate: 0.3, duplicateRate: 0.2, maxDelay: 3 };
    for (let i = 0; i < 1000; i++) net.send(ping("a", "b", i));
    let delivered: Message[] = [];
    for (let t = 0; t <= 3; t++) {
      delivered = [...delivered, ...net.takeDue()];
      net.now++;
    }
    expect(net.dropped).toBeGreaterThan(220);
    expect(net.dropped).toBeLessThan(380);
    const unique = new Set(delivered.map((m) => m.index));
    expect(delivered.length - unique.size).toBeGreaterThan(80); // duplicates
    const order = delivered.map((m) => m.index);
    expect(order).not.toEqual([...order].sort((x, y) => x - y)); // reordered by delays
  });

  test("cut, isolate, split and heal", () => {
    const net = new SimNetwork(createSeededRandom(3));
    const everyone = ["a", "b", "c", "d"];
    net.isolate("a", everyone);
    expect(net.isCut("a", "c") && net.isCut("c", "a")).toBe(true);
    expect(net.isCut("b", "c")).toBe(false);
    net.heal();
    net.split([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect([net.isCut("a", "b"), net.isCut("a", "c"), net.isCut("d", "b")]).toEqual([false, true, true]);
    net.send(ping("a", "c"));
    net.heal();
    expect(net.takeDue()).toEqual([]);
  });

  test("a partition made while a message is in flight still drops it", () => {
    const net = new SimNetwork(createSeededRandom(4));
    net.faults = { dropRate: 0, duplicateRate: 0, maxDelay: 0 };
    net.send(ping("a", "b"));
    net.cut("a", "b");
    expect(net.takeDue()).toEqual([]);
  });
});
