// The Raft RPC endpoint refuses, and counts, every request that is unauthenticated, signed with another key,
// replayed, stale, tampered with or malformed; an authentic batch is delivered. The same holds for the opening of
// a message stream, refused by its headers before a single frame is written; an authentic opening gets a stream
// whose frames verify under the key both ends derive, and a newer stream from the same peer replaces the older.
import { expect, test } from "bun:test";
import { decodeMessages, encodeMessages, MessageType, message } from "../../lib/raft/index.ts";
import {
  createFrameOpener,
  createRpcAuthenticator,
  RPC_BODY_LIMITS,
  RPC_HEADERS,
  STREAM_NONCE_HEADER,
} from "../../lib/raft/transport/index.ts";
import { raftEndpoint, TEST_CLUSTER_KEY } from "../raft/transport-endpoint.ts";
import { waitFor } from "../support/wait.ts";

const KEY = TEST_CLUSTER_KEY;
const endpoint = () => raftEndpoint();

const heartbeat = (from = "node-a", to = "node-b") =>
  encodeMessages([message({ type: MessageType.Heartbeat, from, to, term: 3, commit: 7 })]);

test("an authentic batch is delivered with 204", async () => {
  const { delivered, rejected, post } = await endpoint();
  const sender = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() });
  const body = heartbeat();
  const response = await post(sender.sign("node-a", "node-b", body), body);
  expect(response.status).toBe(204);
  expect(delivered.map((m) => [m.type, m.from, m.term])).toEqual([[MessageType.Heartbeat, "node-a", 3]]);
  expect(rejected).toEqual([]);
});

test("no key, another key, replay, tampering and staleness are refused with 401 and counted", async () => {
  const { registry, delivered, rejected, post } = await endpoint();
  const body = heartbeat();
  expect((await post({}, body)).status).toBe(401);

  const rogue = await createRpcAuthenticator({
    clusterKey: "another-cluster-key-that-is-32-bytes-long!",
    now: () => Date.now(),
  });
  expect((await post(rogue.sign("node-a", "node-b", body), body)).status).toBe(401);

  const sender = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() });
  const headers = sender.sign("node-a", "node-b", body);
  expect((await post(headers, body)).status).toBe(204);
  expect((await post(headers, body)).status).toBe(401);

  const fresh = sender.sign("node-a", "node-b", body);
  const tampered = new Uint8Array(body);
  tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 1;
  expect((await post(fresh, tampered)).status).toBe(401);
  expect((await post({ ...fresh, [RPC_HEADERS.from]: "node-c" }, body)).status).toBe(401);

  const old = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() - 120_000 });
  expect((await post(old.sign("node-a", "node-b", body), body)).status).toBe(401);

  expect(rejected).toEqual([
    "unauthenticated",
    "unauthenticated",
    "replayed",
    "unauthenticated",
    "unauthenticated",
    "stale",
  ]);
  expect(delivered).toHaveLength(1);
  const text = await registry.metrics();
  expect(text).toMatch(/kubernetesvault_raft_rpc_rejected_total\{reason="unauthenticated"\} 4/);
  expect(text).toMatch(/kubernetesvault_raft_rpc_rejected_total\{reason="replayed"\} 1/);
  expect(text).toMatch(/kubernetesvault_raft_rpc_rejected_total\{reason="stale"\} 1/);
});

test("authentic but malformed, misaddressed or spoofed batches are refused with 400", async () => {
  const { delivered, rejected, post } = await endpoint();
  const sender = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() });
  const garbage = new Uint8Array([1, 2, 3, 4, 5]);
  expect((await post(sender.sign("node-a", "node-b", garbage), garbage)).status).toBe(400);
  const forC = heartbeat("node-a", "node-c");
  expect((await post(sender.sign("node-a", "node-c", forC), forC)).status).toBe(400);
  const spoofed = heartbeat("node-x", "node-b");
  expect((await post(sender.sign("node-a", "node-b", spoofed), spoofed)).status).toBe(400);
  expect(rejected).toEqual(["malformed", "malformed", "malformed"]);
  expect(delivered).toEqual([]);
});

const EMPTY = new Uint8Array(0);

test("stream openings without the key, forged, stale, replayed or misaddressed are refused before any frame", async () => {
  const { registry, rejected, open, hub } = await endpoint();
  const sender = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() });
  const rogue = await createRpcAuthenticator({
    clusterKey: "another-cluster-key-that-is-32-bytes-long!",
    now: () => Date.now(),
  });
  const old = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() - 120_000 });
  const genuine = () => sender.sign("node-a", "node-b", EMPTY, "stream");
  const spent = genuine();
  const first = await open(spent);
  expect(first.status).toBe(200);
  await first.body?.cancel();
  rejected.length = 0;
  const cases: [string, Record<string, string>, string, number][] = [
    ["no authentication headers", {}, "node-a", 401],
    ["another cluster key", rogue.sign("node-a", "node-b", EMPTY, "stream"), "node-a", 401],
    ["a forged MAC", { ...genuine(), [RPC_HEADERS.signature]: "A".repeat(43) }, "node-a", 401],
    ["a sender changed after signing", { ...genuine(), [RPC_HEADERS.from]: "node-c" }, "node-c", 401],
    ["a stale timestamp", old.sign("node-a", "node-b", EMPTY, "stream"), "node-a", 401],
    ["a replayed opening", spent, "node-a", 401],
    ["another receiver", sender.sign("node-a", "node-c", EMPTY, "stream"), "node-a", 400],
    ["a path naming another peer", genuine(), "node-c", 400],
    ["signed as a POST batch", sender.sign("node-a", "node-b", EMPTY, "batch"), "node-a", 400],
    ["from this node's own id", sender.sign("node-b", "node-b", EMPTY, "stream"), "node-b", 400],
    ["a body declared", sender.sign("node-a", "node-b", new Uint8Array(8), "stream"), "node-a", 400],
  ];
  const seen = [];
  for (const [what, headers, dialer] of cases) {
    const response = await open(headers, dialer);
    seen.push({ what, status: response.status, nonce: response.headers.get(STREAM_NONCE_HEADER) });
    await response.body?.cancel();
  }
  expect(seen).toEqual(cases.map(([what, , , status]) => ({ what, status, nonce: null })));
  expect(rejected).toEqual([
    "unauthenticated",
    "unauthenticated",
    "unauthenticated",
    "unauthenticated",
    "stale",
    "replayed",
    "malformed",
    "malformed",
    "malformed",
    "malformed",
    "malformed",
  ]);
  expect(hub.writer("node-c")).toBeUndefined();
  const text = await registry.metrics();
  expect(text).toMatch(/kubernetesvault_raft_rpc_rejected_total\{reason="unauthenticated"\} 4/);
  // A stream's opening cannot be spent as a POST either.
  const { post } = await endpoint();
  const body = heartbeat();
  expect((await post(sender.sign("node-a", "node-b", body, "stream"), body)).status).toBe(400);
});

test("an authentic opening gets frames that verify under the derived key; a newer stream replaces the older", async () => {
  const { open, hub, auth, lost, rejected } = await endpoint();
  const sender = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() });
  const openStream = async () => {
    const headers = sender.sign("node-a", "node-b", EMPTY, "stream");
    const response = await open(headers);
    expect(response.status).toBe(200);
    const serverNonce = response.headers.get(STREAM_NONCE_HEADER) ?? "";
    const key = auth.streamKey("node-a", "node-b", headers[RPC_HEADERS.nonce] ?? "", serverNonce);
    const opener = createFrameOpener(key, RPC_BODY_LIMITS.batch);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    /** The next frame's payload, or "ended" when the stream closes. */
    const next = async (): Promise<Uint8Array | "ended"> => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return "ended";
        const { payloads, error } = opener.push(chunk.value);
        if (error) throw error;
        if (payloads[0] !== undefined) return payloads[0];
      }
    };
    return { next, reader };
  };
  const first = await openStream();
  // The first frame is a ping.
  expect(await first.next()).toEqual(new Uint8Array(0));
  const batch = encodeMessages([
    message({ type: MessageType.Heartbeat, from: "node-b", to: "node-a", term: 4 }),
  ]);
  expect(hub.writer("node-a")?.write(batch)).toBe(true);
  const payload = await first.next();
  expect(payload === "ended" ? [] : decodeMessages(payload).map((m) => m.term)).toEqual([4]);

  const second = await openStream();
  expect(await first.next()).toBe("ended");
  expect(await second.next()).toEqual(new Uint8Array(0));
  expect(hub.writer("node-a")?.write(batch)).toBe(true);
  expect(await second.next()).toEqual(batch);
  // Replaced, not lost: the peer still has a stream.
  expect(lost).toEqual([]);
  await second.reader.cancel();
  expect(lost).toEqual(["node-a"]);
  expect(hub.writer("node-a")).toBeUndefined();
  expect(rejected).toEqual([]);
});

test("a stream whose reader takes nothing holds a bounded queue, then is cut and counted", async () => {
  const { open, hub, lost, rejected } = await raftEndpoint({
    streamLimits: { queuedBytes: 4096, pingMs: 50, idleMs: 300 },
  });
  const sender = await createRpcAuthenticator({ clusterKey: KEY, now: () => Date.now() });
  const response = await open(sender.sign("node-a", "node-b", EMPTY, "stream"));
  expect(response.status).toBe(200);
  const frame = new Uint8Array(1024);
  let accepted = 0;
  while (hub.writer("node-a")?.write(frame)) accepted++;
  // The queue is bounded by its byte limit: a few frames, then no more.
  expect(accepted).toBeLessThanOrEqual(4);
  await waitFor("the stalled stream cut", () => lost.includes("node-a"));
  expect(rejected).toEqual(["timeout"]);
  expect(hub.writer("node-a")).toBeUndefined();
});
