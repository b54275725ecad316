/**
 * The bounds of issue 12 ("no unauthenticated memory exhaustion") below the transport: the stream gate (in all and
 * per source IP), the lanes of pending AES-GCM opens, the frame reader's size refusals, the frame limit against a
 * realistic full state, each refusal's own drop reason, and the host counting what its full lanes shed as
 * `overloaded` while members' datagrams keep their own lane.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  type Address,
  countDrop,
  createKeyring,
  createMemoryNetwork,
  DEFAULT_LABEL,
  defaults,
  emptyStats,
  encodeMessage,
  FrameReader,
  type GossipNode,
  PendingOpens,
  StreamGate,
  sealEnvelope,
  startGossipNode,
  type Transport,
  type TransportListener,
} from "../../lib/gossip/index.ts";
import { createSeededRandom } from "../../lib/raft/index.ts";
import { waitFor } from "../support/wait.ts";

describe("stream gate", () => {
  test("admits up to the total, refuses past it, and a released slot is free again", () => {
    const gate = new StreamGate(3, 10);
    expect(["a", "b", "c"].map((host) => gate.admit(host))).toEqual([undefined, undefined, undefined]);
    expect(gate.admit("d")).toBe("streamLimit");
    expect(gate.open).toBe(3);
    gate.release("b");
    expect(gate.admit("d")).toBeUndefined();
    expect(gate.open).toBe(3);
  });

  test("one source IP holds at most its share, whatever room is left in all", () => {
    const gate = new StreamGate(10, 2);
    expect(gate.admit("10.0.0.9")).toBeUndefined();
    expect(gate.admit("10.0.0.9")).toBeUndefined();
    expect(gate.admit("10.0.0.9")).toBe("streamLimitHost");
    expect(gate.admit("10.0.0.8")).toBeUndefined();
    gate.release("10.0.0.9");
    expect(gate.admit("10.0.0.9")).toBeUndefined();
    expect(gate.open).toBe(3);
  });

  test("releasing a host that holds nothing changes nothing", () => {
    const gate = new StreamGate(1, 1);
    gate.release("nobody");
    expect(gate.admit("a")).toBeUndefined();
    expect(gate.admit("b")).toBe("streamLimit");
  });
});

describe("pending opens", () => {
  test("each lane has its own bound; release makes room in that lane only", () => {
    const pending = new PendingOpens({ member: 2, stranger: 1, frame: 1 });
    expect([pending.tryAcquire("stranger"), pending.tryAcquire("stranger")]).toEqual([true, false]);
    expect([
      pending.tryAcquire("member"),
      pending.tryAcquire("member"),
      pending.tryAcquire("member"),
    ]).toEqual([true, true, false]);
    expect([pending.tryAcquire("frame"), pending.tryAcquire("frame")]).toEqual([true, false]);
    pending.release("stranger");
    expect(pending.tryAcquire("stranger")).toBe(true);
    expect(pending.tryAcquire("member")).toBe(false);
    pending.release("frame");
    pending.release("frame");
    expect(pending.count("frame")).toBe(0);
  });

  test("the defaults are the named constants", () => {
    const pending = new PendingOpens();
    let admitted = 0;
    while (pending.tryAcquire("stranger")) admitted++;
    expect(admitted).toBe(defaults.MAX_PENDING_STRANGER_OPENS);
    admitted = 0;
    while (pending.tryAcquire("frame")) admitted++;
    expect(admitted).toBe(defaults.MAX_PENDING_FRAME_OPENS);
  });
});

const header = (length: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
};

describe("drop counting", () => {
  test("each bound's refusal has its own reason (a gossip_packets_dropped_total label), not 'malformed'", () => {
    const stats = emptyStats();
    const reasons = ["overloaded", "streamLimit", "streamLimitHost", "frameDeadline"] as const;
    for (const reason of reasons) countDrop(stats, reason);
    for (const reason of reasons) expect(stats.dropped[reason]).toBe(1);
    expect(stats.dropped.malformed).toBe(0);
  });
});

describe("frame reader", () => {
  test("a declared length over the limit is refused on the header, before any body is buffered", () => {
    const reader = new FrameReader(100);
    expect(reader.push(header(101))).toEqual({ ok: false, reason: "frameTooLarge" });
  });

  test("a header split across chunks is still read and judged", () => {
    const reader = new FrameReader(100);
    const head = header(1_000_000);
    expect(reader.push(head.subarray(0, 2))).toBeUndefined();
    expect(reader.push(head.subarray(2))).toEqual({ ok: false, reason: "frameTooLarge" });
  });

  test("a frame of exactly the limit is accepted whole; one byte more than declared is refused", () => {
    const reader = new FrameReader(100);
    expect(reader.push(header(100))).toBeUndefined();
    expect(reader.push(new Uint8Array(60).fill(1))).toBeUndefined();
    expect(reader.push(new Uint8Array(40).fill(2))).toBeUndefined();
    const done = reader.finish();
    expect(done.ok && done.bytes.length).toBe(100);
    const overlong = new FrameReader(100);
    overlong.push(header(10));
    expect(overlong.push(new Uint8Array(11))).toEqual({ ok: false, reason: "truncatedFrame" });
  });

  test("a stream that ends before its frame is complete is refused", () => {
    const reader = new FrameReader(100);
    reader.push(header(10));
    reader.push(new Uint8Array(9));
    expect(reader.finish()).toEqual({ ok: false, reason: "truncatedFrame" });
  });
});

describe("frame limit", () => {
  /** A member as a big deployment would send it: IPv6, a 63-character name, Raft address and member flag. */
  const memberState = (i: number) => ({
    name: `kubernetes-vault-${String(i).padStart(3, "0")}-${"x".repeat(63 - 21)}`,
    incarnation: 1_000_000 + i,
    address: { host: `fd00:1234:5678:9abc:def0:1234:5678:${(i + 1).toString(16)}`, port: 45678 },
    meta: { raft: `[fd00:1234:5678:9abc:def0:1234:5678:${(i + 1).toString(16)}]:45679`, member: "1" },
    status: "alive" as const,
  });
  const sealedPushPull = async (count: number) => {
    const members = Array.from({ length: count }, (_, i) => memberState(i));
    const payload = encodeMessage({
      type: "pushPull",
      join: false,
      reply: true,
      source: { name: members[0]?.name ?? "", address: members[0]?.address ?? { host: "::1", port: 1 } },
      members,
    });
    const keyring = await createKeyring(["k".repeat(40)]);
    return sealEnvelope(keyring, DEFAULT_LABEL, payload, Date.now());
  };

  test("the full state of a 64-member IPv6 cluster (nine times our largest) fits one frame", async () => {
    const sealed = await sealedPushPull(64);
    expect(sealed.length).toBeLessThan(defaults.MAX_RELIABLE_FRAME_BYTES);
    // The planned cluster: 7 replicas, twice over while a rollout's old names wait to be reaped.
    const planned = await sealedPushPull(14);
    expect(planned.length * 10).toBeLessThan(defaults.MAX_RELIABLE_FRAME_BYTES);
  });

  test("what the stream bounds let strangers make us buffer stays a few MiB", () => {
    const streams = defaults.MAX_INBOUND_STREAMS * defaults.MAX_RELIABLE_FRAME_BYTES;
    const frames = defaults.MAX_PENDING_FRAME_OPENS * defaults.MAX_RELIABLE_FRAME_BYTES;
    expect(streams + frames).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

/** A transport whose listener the test can call directly: deliveries arrive synchronously, all at once. */
function tapped(inner: Transport): { transport: Transport; inject: TransportListener["deliver"] } {
  let listener: TransportListener | undefined;
  return {
    transport: {
      address: inner.address,
      listen(next) {
        listener = next;
        inner.listen(next);
      },
      sendPacket: (to, bytes) => inner.sendPacket(to, bytes),
      sendReliable: (to, bytes) => inner.sendReliable(to, bytes),
      close: () => inner.close(),
    },
    inject: (from, bytes, reliable) => listener?.deliver(from, bytes, reliable),
  };
}

describe("host lanes of pending opens", () => {
  const network = createMemoryNetwork();
  const started: GossipNode[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  test("a burst past a lane's bound is dropped as overloaded; members' datagrams keep their own lane", async () => {
    const keyring = await createKeyring(["cluster-key-for-tests-0123456789abcdef"]);
    // No periodic push-pull during the test, so no genuine frame shares the frame lane with the burst.
    const timing = { pushPullIntervalMs: 600_000 };
    const victimTap = tapped(network.open({ host: "127.3.5.1", port: 45678 }));
    const victim = startGossipNode({
      name: "victim",
      transport: victimTap.transport,
      keyring,
      timing,
      random: createSeededRandom(1),
      pendingLimits: { stranger: 4, member: 1_000, frame: 2 },
    });
    const peer = startGossipNode({
      name: "peer",
      transport: network.open({ host: "127.3.5.2", port: 45678 }),
      keyring,
      timing,
      random: createSeededRandom(2),
    });
    started.push(victim, peer);
    peer.join([victim.address]);
    await waitFor("victim sees peer alive", () =>
      victim.members().some((m) => m.name === "peer" && m.status === "alive"),
    );
    const garbage = () => {
      const bytes = crypto.getRandomValues(new Uint8Array(200));
      bytes[0] = 1; // the envelope version, so each one costs an AES-GCM open
      return bytes;
    };
    const stranger: Address = { host: "127.3.5.99", port: 4444 };
    for (let i = 0; i < 10; i++) victimTap.inject(stranger, garbage(), false);
    for (let i = 0; i < 3; i++) victimTap.inject(peer.address, garbage(), false);
    for (let i = 0; i < 5; i++) victimTap.inject(stranger, garbage(), true);
    expect(victim.stats().dropped.overloaded).toBe(6 + 3);
    await waitFor("the admitted ones opened", () => victim.stats().dropped.unauthenticated === 4 + 3 + 2);
    // The lanes are free again once their opens settled.
    for (let i = 0; i < 4; i++) victimTap.inject(stranger, garbage(), false);
    await waitFor("four more opened", () => victim.stats().dropped.unauthenticated === 13);
    expect(victim.stats().dropped.overloaded).toBe(9);
    expect(victim.members().find((m) => m.name === "peer")?.status).toBe("alive");
  }, 60_000);
});
