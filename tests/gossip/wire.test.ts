/**
 * The wire: codec round trips and refusals, the AES-GCM envelope (tamper, wrong key, wrong label, truncation,
 * unknown version, key rotation) and the replay window. Nothing here may throw on hostile input.
 */
import { describe, expect, test } from "bun:test";
import {
  createKeyring,
  decodePacket,
  ENVELOPE_VERSION,
  encodeMessage,
  encodePacket,
  type Message,
  MessageType,
  openEnvelope,
  ReplayWindow,
  sealEnvelope,
} from "../../lib/gossip/index.ts";

const KEY_A = "a".repeat(32);
const KEY_B = "b".repeat(32);
const at = { host: "127.3.0.1", port: 45678 };
const v6 = { host: "fd00::1", port: 45678 };
const bytes = (text: string) => new TextEncoder().encode(text);

const samples: Message[] = [
  { type: "ping", seq: 1, target: "pod-a", source: { name: "pod-b", address: at } },
  {
    type: "indirectPing",
    seq: 2,
    target: "pod-a",
    targetAddress: v6,
    source: { name: "pod-b", address: at },
  },
  { type: "ack", seq: 3 },
  { type: "suspect", name: "pod-a", incarnation: 4, from: "pod-b" },
  { type: "alive", name: "pod-a", incarnation: 5, address: v6, meta: { raft: "[fd00::1]:45679" } },
  { type: "dead", name: "pod-a", incarnation: 6, from: "pod-a" },
  {
    type: "pushPull",
    join: true,
    reply: false,
    source: { name: "pod-b", address: at },
    members: [{ name: "pod-a", incarnation: 1, address: at, meta: {}, status: "suspect" }],
  },
];

describe("codec", () => {
  test("every message type round-trips alone and in a compound", () => {
    for (const message of samples)
      expect(decodePacket(encodePacket([message]))).toEqual({ ok: true, messages: [message] });
    expect(decodePacket(encodePacket(samples))).toEqual({ ok: true, messages: samples });
  });

  test("type numbers are the append-only table", () => {
    expect(MessageType).toEqual({
      ping: 1,
      indirectPing: 2,
      ack: 3,
      suspect: 4,
      alive: 5,
      dead: 6,
      pushPull: 7,
      compound: 8,
    });
    expect(encodeMessage({ type: "ack", seq: 9 })[0]).toBe(3);
  });

  test("hostile bytes are refused with a reason, never thrown", () => {
    const compound = encodePacket(samples.slice(0, 3));
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array()],
      ["unknown type", new Uint8Array([200, ...bytes("{}")])],
      ["bare compound type", new Uint8Array([8])],
      ["not JSON", new Uint8Array([3, ...bytes("{seq")])],
      ["bad UTF-8", new Uint8Array([3, 0xff, 0xfe])],
      ["missing field", new Uint8Array([3, ...bytes("{}")])],
      ["extra field", new Uint8Array([3, ...bytes('{"seq":1,"x":2}')])],
      ["negative seq", new Uint8Array([3, ...bytes('{"seq":-1}')])],
      ["bad address", encodeMessage({ ...samples[4], address: { host: "example.com", port: 1 } } as Message)],
      [
        "port out of range",
        encodeMessage({ ...samples[4], address: { host: "10.0.0.1", port: 70000 } } as Message),
      ],
      ["huge meta", encodeMessage({ ...samples[4], meta: { x: "y".repeat(600) } } as Message)],
      ["truncated compound", compound.subarray(0, compound.length - 3)],
      ["compound trailing bytes", new Uint8Array([...compound, 1])],
      ["nested compound", new Uint8Array([8, 1, 0, 2, 8, 0])],
    ];
    for (const [what, input] of cases) {
      const decoded = decodePacket(input);
      expect({ what, ok: decoded.ok }).toEqual({ what, ok: false });
    }
  });
});

describe("envelope", () => {
  test("sealed bytes open to the same payload and timestamp; the version leads and the nonce is random", async () => {
    const ring = await createKeyring([KEY_A]);
    const payload = bytes("hello");
    const one = await sealEnvelope(ring, "label", payload, 1_700_000_000_123);
    const two = await sealEnvelope(ring, "label", payload, 1_700_000_000_123);
    expect(one[0]).toBe(ENVELOPE_VERSION);
    expect(one.subarray(1, 13)).not.toEqual(two.subarray(1, 13));
    const opened = await openEnvelope(ring, "label", one);
    expect(opened.ok && [new TextDecoder().decode(opened.payload), opened.timestampMs]).toEqual([
      "hello",
      1_700_000_000_123,
    ]);
  });

  test("tampering anywhere, a wrong key, a wrong label, truncation and unknown versions are refused", async () => {
    const ring = await createKeyring([KEY_A]);
    const sealed = await sealEnvelope(ring, "label", bytes("payload"), 1000);
    for (let index = 1; index < sealed.length; index++) {
      const tampered = sealed.slice();
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(await openEnvelope(ring, "label", tampered)).toEqual({ ok: false, reason: "unauthenticated" });
    }
    expect(await openEnvelope(await createKeyring([KEY_B]), "label", sealed)).toEqual({
      ok: false,
      reason: "unauthenticated",
    });
    expect(await openEnvelope(ring, "other-cluster", sealed)).toEqual({
      ok: false,
      reason: "unauthenticated",
    });
    for (const length of [0, 1, 13, 36]) {
      expect(await openEnvelope(ring, "label", sealed.subarray(0, length))).toEqual({
        ok: false,
        reason: "truncated",
      });
    }
    expect(await openEnvelope(ring, "label", sealed.subarray(0, sealed.length - 1))).toEqual({
      ok: false,
      reason: "unauthenticated",
    });
    const future = sealed.slice();
    future[0] = 2;
    expect(await openEnvelope(ring, "label", future)).toEqual({ ok: false, reason: "unknownVersion" });
  });

  test("a keyring opens with any of its keys and seals with the primary (rotation)", async () => {
    const oldRing = await createKeyring([KEY_A]);
    const rotating = await createKeyring([KEY_B, KEY_A]);
    const newRing = await createKeyring([KEY_B]);
    const fromOld = await sealEnvelope(oldRing, "l", bytes("x"), 1);
    expect((await openEnvelope(rotating, "l", fromOld)).ok).toBe(true);
    const fromRotating = await sealEnvelope(rotating, "l", bytes("x"), 1);
    expect((await openEnvelope(newRing, "l", fromRotating)).ok).toBe(true);
    expect((await openEnvelope(oldRing, "l", fromRotating)).ok).toBe(false);
  });

  test("a short CLUSTER_KEY is refused with a fix and without echoing it", async () => {
    const secret = "short-secret-value";
    const error = await createKeyring([secret]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("at least 32");
    expect((error as Error).message).not.toContain(secret);
    await expect(createKeyring([])).rejects.toThrow("CLUSTER_KEY");
  });
});

describe("replay window", () => {
  const nonce = (n: number) => new Uint8Array(12).fill(n);

  test("a nonce is accepted once; a replay inside the window is refused", () => {
    const window = new ReplayWindow(30_000);
    expect(window.check(1_000, nonce(1), 1_000)).toBe("fresh");
    expect(window.check(1_000, nonce(1), 2_000)).toBe("replayed");
    expect(window.check(1_000, nonce(2), 2_000)).toBe("fresh");
  });

  test("timestamps outside the window either way are stale, so forgotten nonces cannot be replayed", () => {
    const window = new ReplayWindow(30_000);
    expect(window.check(0, nonce(1), 30_001)).toBe("stale");
    expect(window.check(60_002, nonce(2), 30_001)).toBe("stale");
    expect(window.check(10_000, nonce(3), 10_000)).toBe("fresh");
    expect(window.check(50_000, nonce(4), 50_000)).toBe("fresh");
    expect(window.size).toBe(1);
    expect(window.check(10_000, nonce(3), 50_000)).toBe("stale");
  });

  test("a full cache forgets the oldest nonces and refuses anything not newer than them", () => {
    const window = new ReplayWindow(30_000, 3);
    for (let i = 1; i <= 4; i++) expect(window.check(i, nonce(i), 10)).toBe("fresh");
    expect(window.size).toBe(3);
    expect(window.check(1, nonce(1), 10)).toBe("stale");
    expect(window.check(5, nonce(5), 10)).toBe("fresh");
  });
});
