// The Raft RPC endpoint judges a request by its headers before reading its body (issue 12, part 3): every refusal
// that the headers decide (missing, forged, stale or replayed authentication, another receiver, a declared length
// over the kind's limit, a content-length that differs from the signed length, no place in flight) leaves the body
// unread, and says `connection: close`. Bodies are held to the limit of their signed kind, a body running past its
// signed length is cut as soon as it does, a body that does not arrive in time is cut at the deadline, and the
// sender splits what would not fit a batch.
import { expect, test } from "bun:test";
import { EntryType, encodeMessages, type Message, MessageType, message } from "../../lib/raft/index.ts";
import {
  createPeerSender,
  createRpcAuthenticator,
  encodeBodies,
  type RaftRoutesOptions,
  RPC_BODY_LIMITS,
  RPC_HEADERS,
  RPC_IN_FLIGHT,
  type RpcKind,
  type TransportRejection,
} from "../../lib/raft/transport/index.ts";
import { waitFor } from "../support/wait.ts";
import { TEST_CLUSTER_KEY as KEY, raftEndpoint } from "./transport-endpoint.ts";

/** A body that counts what the server pulls from it and delivers `chunks` chunks of `chunkBytes`, then ends. */
function countedBody(chunks: number, chunkBytes = 16 * 1024, fill = 0x61) {
  const counter = { pulled: 0, bytes: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (counter.pulled >= chunks) {
          controller.close();
          return;
        }
        counter.pulled++;
        counter.bytes += chunkBytes;
        controller.enqueue(new Uint8Array(chunkBytes).fill(fill));
      },
    },
    // Nothing is read ahead: a pull happens only when the server reads.
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

const endpoint = (limits?: RaftRoutesOptions["limits"]) => raftEndpoint(limits ? { limits } : {});

const sender = (now: () => number = () => Date.now(), clusterKey = KEY) =>
  createRpcAuthenticator({ clusterKey, now });

/** Headers signed for a body of `length` bytes of `fill` (the counted body's content). */
const signFor = async (length: number, kind: RpcKind = "batch", fill = 0x61, to = "node-b") =>
  (await sender()).sign("node-a", to, new Uint8Array(length).fill(fill), kind);

const append = (entryBytes: number, from = "node-a", to = "node-b"): Message =>
  message({
    type: MessageType.Append,
    from,
    to,
    term: 2,
    index: 1,
    logTerm: 1,
    commit: 1,
    entries: [{ term: 2, index: 2, type: EntryType.Normal, data: new Uint8Array(entryBytes).fill(7) }],
  });

test("requests their headers condemn are refused with the body unread and the connection closed", async () => {
  const { rejected, post, delivered } = await endpoint();
  const length = 8 * 16 * 1024;
  const genuine = await signFor(length);
  const stale = (await sender(() => Date.now() - 120_000)).sign("node-a", "node-b", new Uint8Array(length));
  const rogue = (await sender(undefined, "another-cluster-key-that-is-32-bytes-long!")).sign(
    "node-a",
    "node-b",
    new Uint8Array(length),
  );
  const replayed = await signFor(length);
  // Spend the nonce with a genuine request first.
  const first = countedBody(8);
  expect((await post(replayed, first.stream)).status).toBe(400);
  const cases: [string, Record<string, string>, number, TransportRejection][] = [
    ["no authentication headers", {}, 401, "unauthenticated"],
    ["one header missing", { ...genuine, [RPC_HEADERS.digest]: "" }, 401, "unauthenticated"],
    ["a forged MAC", { ...genuine, [RPC_HEADERS.signature]: "A".repeat(43) }, 401, "unauthenticated"],
    ["another cluster key", rogue, 401, "unauthenticated"],
    ["a sender changed after signing", { ...genuine, [RPC_HEADERS.from]: "node-c" }, 401, "unauthenticated"],
    ["a length changed after signing", { ...genuine, [RPC_HEADERS.length]: "1" }, 401, "unauthenticated"],
    ["a kind changed after signing", { ...genuine, [RPC_HEADERS.kind]: "bulk" }, 401, "unauthenticated"],
    ["a stale timestamp", stale, 401, "stale"],
    ["a replayed nonce", replayed, 401, "replayed"],
    ["another receiver", await signFor(length, "batch", 0x61, "node-c"), 400, "malformed"],
    [
      "a content-length other than the signed length",
      { ...(await signFor(length)), "content-length": "5" },
      400,
      "malformed",
    ],
    ["a batch declared over the batch limit", await signFor(RPC_BODY_LIMITS.batch + 1), 413, "oversize"],
    [
      "a bulk body declared over the bulk limit",
      await signFor(RPC_BODY_LIMITS.bulk + 1, "bulk"),
      413,
      "oversize",
    ],
  ];
  const seen: unknown[] = [];
  for (const [what, headers] of cases) {
    const body = countedBody(64);
    rejected.length = 0;
    const response = await post(headers, body.stream);
    seen.push({
      what,
      status: response.status,
      reason: rejected[0],
      pulled: body.counter.pulled,
      connection: response.headers.get("connection"),
    });
  }
  expect(seen).toEqual(
    cases.map(([what, , status, reason]) => ({ what, status, reason, pulled: 0, connection: "close" })),
  );
  expect(delivered).toEqual([]);
});

test("a body is held to the limit of its signed kind", async () => {
  const { post, delivered, rejected } = await endpoint();
  const auth = await sender();
  // One Append just over the batch limit: refused as a batch by its declared length, delivered as bulk.
  const big = encodeMessages([append(RPC_BODY_LIMITS.batch)]);
  expect(big.byteLength).toBeGreaterThan(RPC_BODY_LIMITS.batch);
  expect((await post(auth.sign("node-a", "node-b", big, "batch"), big)).status).toBe(413);
  expect((await post(auth.sign("node-a", "node-b", big, "bulk"), big)).status).toBe(204);
  // A batch right at the limit is read whole (and then judged on its content).
  const atLimit = countedBody(RPC_BODY_LIMITS.batch / (16 * 1024));
  const response = await post(await signFor(RPC_BODY_LIMITS.batch), atLimit.stream);
  expect(response.status).toBe(400);
  expect(atLimit.counter.bytes).toBe(RPC_BODY_LIMITS.batch);
  expect(rejected).toEqual(["oversize", "malformed"]);
  expect(delivered.map((m) => m.entries[0]?.data.byteLength)).toEqual([RPC_BODY_LIMITS.batch]);
});

test("a body running past its signed length is cut as soon as it does; one that does not match is refused", async () => {
  const { post, rejected, delivered } = await endpoint();
  const signedLength = 4 * 16 * 1024;
  const longer = countedBody(64);
  const response = await post(await signFor(signedLength), longer.stream);
  expect(response.status).toBe(413);
  expect(response.headers.get("connection")).toBe("close");
  // The fifth chunk is the one that runs past: nothing after it is pulled.
  expect(longer.counter.pulled).toBeLessThanOrEqual(5);
  // Same length as signed, other bytes: read whole, then refused as unauthenticated.
  const other = countedBody(4, 16 * 1024, 0x7a);
  expect((await post(await signFor(signedLength), other.stream)).status).toBe(401);
  // Shorter than signed.
  const shorter = countedBody(3);
  expect((await post(await signFor(signedLength), shorter.stream)).status).toBe(400);
  expect(rejected).toEqual(["oversize", "unauthenticated", "malformed"]);
  expect(delivered).toEqual([]);
});

test(`at most ${RPC_IN_FLIGHT.batch} batches and ${RPC_IN_FLIGHT.bulk} bulk body are read at once; more are refused with 503 at once`, async () => {
  const { post, rejected, registry, delivered } = await endpoint({ bodyDeadlineMs: 1_000 });
  const length = 16 * 1024;
  let reading = 0;
  const stalled = () => {
    const stream = new ReadableStream<Uint8Array>(
      {
        pull: () => {
          reading++;
          return new Promise<void>(() => {});
        },
      },
      { highWaterMark: 0 },
    );
    return stream;
  };
  const held = [
    ...Array.from({ length: RPC_IN_FLIGHT.batch }, async () => post(await signFor(length), stalled())),
    ...Array.from({ length: RPC_IN_FLIGHT.bulk }, async () => post(await signFor(length, "bulk"), stalled())),
  ];
  await waitFor("every admitted body being read", () => reading === RPC_IN_FLIGHT.batch + RPC_IN_FLIGHT.bulk);
  for (const kind of ["batch", "bulk"] as const) {
    const extra = countedBody(1);
    const response = await post(await signFor(length, kind), extra.stream);
    expect(response.status).toBe(503);
    expect(response.headers.get("connection")).toBe("close");
    expect(extra.counter.pulled).toBe(0);
  }
  expect(rejected).toEqual(["overloaded", "overloaded"]);
  // The stalled uploads are cut at the deadline and their places freed.
  const answers = await Promise.all(held);
  expect(new Set(answers.map((r) => r.status))).toEqual(new Set([408]));
  const heartbeat = encodeMessages([
    message({ type: MessageType.Heartbeat, from: "node-a", to: "node-b", term: 3 }),
  ]);
  const auth = await sender();
  expect((await post(auth.sign("node-a", "node-b", heartbeat), heartbeat)).status).toBe(204);
  expect(delivered).toHaveLength(1);
  const text = await registry.metrics();
  expect(text).toMatch(/kubernetesvault_raft_rpc_rejected_total\{reason="overloaded"\} 2/);
  expect(text).toMatch(
    new RegExp(`kubernetesvault_raft_rpc_rejected_total\\{reason="timeout"\\} ${held.length}`),
  );
});

test("the sender splits a batch too large for one POST, and sends a single oversized message as bulk", async () => {
  const small = Array.from({ length: 40 }, () => append(20 * 1024));
  const parts = encodeBodies(small);
  expect(parts.length).toBeGreaterThan(1);
  expect(parts.every((p) => p.kind === "batch" && p.body.byteLength <= RPC_BODY_LIMITS.batch)).toBe(true);
  expect(parts.flatMap((p) => p.messages)).toEqual(small);
  const huge = append(RPC_BODY_LIMITS.batch + 1);
  const mixed = encodeBodies([small[0] as Message, huge, small[1] as Message]);
  expect(mixed.map((p) => [p.kind, p.messages.length])).toEqual([
    ["batch", 1],
    ["bulk", 1],
    ["batch", 1],
  ]);

  // Through a real endpoint: every part is accepted, in order, one after another.
  const { post, delivered } = await endpoint();
  const auth = await sender();
  const kinds: string[] = [];
  const peer = createPeerSender({
    selfId: "node-a",
    auth,
    resolve: () => "http://127.0.0.1",
    fetch: async (_input, init) => {
      const headers = new Headers(init?.headers);
      kinds.push(headers.get(RPC_HEADERS.kind) ?? "");
      return post(Object.fromEntries(headers), init?.body as Uint8Array);
    },
    onUnreachable: () => {
      throw new Error("unreachable");
    },
    onSnapshotFailed: () => {},
  });
  peer.send([...small, huge]);
  await waitFor("every message delivered", () => delivered.length === small.length + 1);
  peer.close();
  expect(delivered.map((m) => m.entries[0]?.data.byteLength)).toEqual(
    [...small, huge].map((m) => m.entries[0]?.data.byteLength),
  );
  expect(kinds.filter((k) => k === "bulk")).toHaveLength(1);
  expect(kinds.length).toBeGreaterThan(2);
});
