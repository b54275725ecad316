// The Raft RPC endpoint refuses, and counts, every request that is unauthenticated, signed with another key,
// replayed, stale, tampered with or malformed; an authentic batch is delivered.
import { expect, test } from "bun:test";
import { encodeMessages, MessageType, message } from "../../lib/raft/index.ts";
import { createRpcAuthenticator, RPC_HEADERS } from "../../lib/raft/transport/index.ts";
import { raftEndpoint, TEST_CLUSTER_KEY } from "../raft/transport-endpoint.ts";

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
