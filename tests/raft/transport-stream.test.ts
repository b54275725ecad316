// Raft message streams (issue 14): one long-lived authenticated stream per direction carries the messages, under
// both server engines (Bun.serve and the portable node engine). Real sockets on loopback (127.0.131.x).
// - Two transports: messages flow both ways as frames, with no POST once the streams are open.
// - A peer that restarts: the other reports it unreachable, dials it again, and messages flow both ways again.
// - A dialer reading a peer that plays foul (a fake server holding the key, or not): a forged frame MAC, a replayed
//   frame, a frame declaring more than the batch limit, a frame stalled mid-way, or no stream nonce close the
//   stream, are counted, and nothing after the bad frame reaches Raft; the dialer dials again.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CertificateKeeper } from "../../lib/controller/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { type RaftTransport, startRaftTransport } from "../../lib/main/raft-transport.ts";
import type { PeerDirectory, PeerMember } from "../../lib/main/static-peers.ts";
import { encodeMessages, type Message, MessageType, message } from "../../lib/raft/index.ts";
import {
  createFrameSealer,
  createRpcAuthenticator,
  createStreamDialer,
  createStreamOpen,
  newStreamNonce,
  RAFT_STREAM_PATH,
  RPC_BODY_LIMITS,
  type RpcAuthenticator,
  STREAM_NONCE_HEADER,
  type StreamDialer,
  type TransportRejection,
} from "../../lib/raft/transport/index.ts";
import { type RunningServer, serve } from "../../lib/runtime/index.ts";
import { freshStateDir } from "../support/state-dir.ts";
import { waitFor } from "../support/wait.ts";
import { TEST_CLUSTER_KEY } from "./transport-endpoint.ts";

const ENGINES = ["auto", "node"] as const;
type EngineName = (typeof ENGINES)[number];

const heartbeat = (from: string, to: string, term: number): Message =>
  message({ type: MessageType.Heartbeat, from, to, term, commit: term });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function directory(members: PeerMember[], self: PeerMember) {
  const listeners = new Set<() => void>();
  const dir: PeerDirectory = {
    self,
    members: () => [...members],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const changed = () => {
    for (const listener of listeners) listener();
  };
  return { dir, changed };
}

interface Node {
  id: string;
  transport: RaftTransport;
  delivered: Message[];
  unreachable: string[];
  rejected: string[];
}

/** A CA and one certificate (server and client use, IP SANs of every test address) signed by it, via openssl. */
function pki(): { caPem: string; certPem: string; keyPem: string } {
  const dir = freshStateDir("raft-stream-pki-");
  const run = (...args: string[]) => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr}`);
  };
  const sans = Array.from({ length: 40 }, (_, i) => `IP:127.0.131.${i + 1}`).join(",");
  writeFileSync(
    join(dir, "leaf.ext"),
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=raft-test-ca",
    "-days",
    "2",
  );
  run("req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=raft-test-peer");
  run(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "2",
    "-extfile",
    "leaf.ext",
  );
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const issued = { caPem: read("ca.pem"), certPem: read("leaf.pem"), keyPem: read("leaf.key") };
  rmSync(dir, { recursive: true, force: true });
  return issued;
}

async function startNodes(
  engine: EngineName,
  octet: number,
  certificates?: CertificateKeeper,
  /** A directory that never reports its changes (the dialer must look by itself). */
  silent = false,
) {
  const members: PeerMember[] = [];
  const notify: (() => void)[] = [];
  const start = async (id: string, host: string, port: number): Promise<Node> => {
    const self = { name: id, raftAddress: `${host}:${port}` };
    const { dir, changed } = directory(members, self);
    notify.push(changed);
    const node: Omit<Node, "transport"> = { id, delivered: [], unreachable: [], rejected: [] };
    const transport = await startRaftTransport({
      selfId: id,
      listen: { hostname: host, port },
      peers: dir,
      auth: await createRpcAuthenticator({ clusterKey: TEST_CLUSTER_KEY, now: Date.now }),
      log: createLogger("error", { component: "stream-test" }),
      deliver: (messages) => node.delivered.push(...messages),
      onUnreachable: (peer) => node.unreachable.push(peer),
      onSnapshotFailed: () => {},
      onRejected: (reason) => node.rejected.push(reason),
      engine,
      ...(certificates ? { certificates } : {}),
    });
    const address = transport.url.replace(/^https?:\/\//, "");
    const existing = members.findIndex((m) => m.name === id);
    if (existing >= 0) members.splice(existing, 1);
    members.push({ name: id, raftAddress: address });
    if (!silent) for (const n of notify) n();
    return { ...node, transport };
  };
  const a = await start("node-a", `127.0.131.${octet}`, 0);
  const b = await start("node-b", `127.0.131.${octet + 1}`, 0);
  const stopped = new Set<RaftTransport>();
  const stop = async (node: Node) => {
    if (stopped.has(node.transport)) return;
    stopped.add(node.transport);
    await node.transport.stop();
  };
  cleanups.push(async () => {
    await stop(a);
    await stop(b);
  });
  return { a, b, start, stop, members };
}

const streamsOpen = (a: Node, b: Node) =>
  waitFor(
    `streams open both ways between ${a.id} and ${b.id}`,
    () => a.transport.stats().streamsIn.includes(b.id) && b.transport.stats().streamsIn.includes(a.id),
  );

let keeper: CertificateKeeper;
beforeAll(() => {
  const issued = { ...pki(), notBefore: Date.now(), notAfter: Date.now() + 86_400_000 };
  keeper = { current: () => issued, onRenew: () => () => {}, stop: () => {} };
});

describe.each(ENGINES)("engine %s", (engine) => {
  const octet = engine === "auto" ? 1 : 11;

  test("with mutual TLS (a PKI certificate) streams open and carry messages both ways", async () => {
    const { a, b } = await startNodes(engine, octet + 6, keeper);
    expect(a.transport.url).toStartWith("https://");
    await streamsOpen(a, b);
    a.transport.send([heartbeat("node-a", "node-b", 5)]);
    b.transport.send([heartbeat("node-b", "node-a", 6)]);
    await waitFor("messages delivered over TLS", () => a.delivered.length === 1 && b.delivered.length === 1);
    expect([a.delivered[0]?.term, b.delivered[0]?.term]).toEqual([6, 5]);
    expect(a.transport.stats().framed + b.transport.stats().framed).toBeGreaterThanOrEqual(2);
    // A dialer that trusts the CA but has no client certificate does not get past the handshake.
    const d = dialerOf(b.transport.url, 5_000, createStreamOpen({ caPem: keeper.current().caPem ?? "" }));
    await d.ready;
    await waitFor("the certificate-less dialer failing", () => d.failed.length > 0);
    expect(d.delivered).toEqual([]);
  });

  test("messages flow both ways as stream frames, with no POST once the streams are open", async () => {
    const { a, b } = await startNodes(engine, octet);
    await streamsOpen(a, b);
    const posted = a.transport.stats().posted + b.transport.stats().posted;
    for (let term = 1; term <= 50; term++) {
      a.transport.send([heartbeat("node-a", "node-b", term)]);
      b.transport.send([heartbeat("node-b", "node-a", term)]);
    }
    await waitFor("every message delivered", () => a.delivered.length === 50 && b.delivered.length === 50);
    // In order: one stream per direction.
    expect(b.delivered.map((m) => m.term)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(a.delivered.map((m) => m.term)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(a.transport.stats().posted + b.transport.stats().posted).toBe(posted);
    expect(a.transport.stats().framed).toBeGreaterThan(0);
    expect(b.transport.stats().framed).toBeGreaterThan(0);
    expect([...a.rejected, ...b.rejected]).toEqual([]);
  });

  test("peers added to a directory that reports no change are dialed all the same", async () => {
    const { a, b } = await startNodes(engine, octet + 8, undefined, true);
    await streamsOpen(a, b);
    b.transport.send([heartbeat("node-b", "node-a", 3)]);
    await waitFor("the message delivered", () => a.delivered.length === 1);
    expect(b.transport.stats().framed).toBe(1);
  });

  test("a peer that restarts is reported unreachable, dialed again, and messages flow both ways again", async () => {
    const { a, b, start, stop } = await startNodes(engine, octet + 3);
    await streamsOpen(a, b);
    const [host, port] = [
      b.transport.url.split("//")[1]?.split(":")[0] ?? "",
      Number(b.transport.url.split(":").at(-1)),
    ];
    await stop(b);
    await waitFor("node-a noticing node-b gone", () => a.unreachable.includes("node-b"));
    // While node-b is down, what node-a sends it is lost (Raft retransmits) and reported.
    a.transport.send([heartbeat("node-a", "node-b", 7)]);
    const b2 = await start("node-b", host, port);
    cleanups.push(() => stop(b2));
    await streamsOpen(a, b2);
    const posted = a.transport.stats().posted + b2.transport.stats().posted;
    a.transport.send([heartbeat("node-a", "node-b", 8)]);
    b2.transport.send([heartbeat("node-b", "node-a", 9)]);
    await waitFor("messages delivered after the restart", () =>
      b2.delivered.some((m) => m.term === 8) && a.delivered.some((m) => m.term === 9) ? true : undefined,
    );
    expect(a.transport.stats().posted + b2.transport.stats().posted).toBe(posted);
    expect([...a.rejected, ...b2.rejected]).toEqual([]);
  });
});

/**
 * A fake peer "node-b" that answers the dialer's stream opening itself: it checks the opening with the real key,
 * derives the stream key (or not) and writes whatever `script` writes, then holds the stream open.
 */
async function fakePeer(
  engine: EngineName,
  host: string,
  script: (frames: { seal(payload: Uint8Array): Uint8Array; write(bytes: Uint8Array): void }) => void,
  options: { withNonce?: boolean } = {},
) {
  const auth = await createRpcAuthenticator({ clusterKey: TEST_CLUSTER_KEY, now: Date.now });
  const opened: string[] = [];
  let cancelled = 0;
  const server: RunningServer = await serve({
    hostname: host,
    port: 0,
    engine,
    fetch(request) {
      const verdict = auth.verifyHeaders(request.headers);
      if (!verdict.ok) return new Response("no", { status: 401 });
      opened.push(new URL(request.url).pathname);
      const serverNonce = newStreamNonce();
      const sealer = createFrameSealer(auth.streamKey(verdict.from, verdict.to, verdict.nonce, serverNonce));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          script({
            seal: (p) => sealer.seal(p),
            write: (bytes) => controller.enqueue(new Uint8Array(bytes)),
          });
        },
        cancel() {
          cancelled++;
        },
      });
      return new Response(body, {
        status: 200,
        headers: options.withNonce === false ? {} : { [STREAM_NONCE_HEADER]: serverNonce },
      });
    },
  });
  cleanups.push(() => server.stop(true));
  return { server, opened, cancelled: () => cancelled };
}

function dialerOf(url: string, idleMs = 5_000, open = createStreamOpen()) {
  const delivered: Message[] = [];
  const rejected: { reason: TransportRejection; detail: string }[] = [];
  const failed: string[] = [];
  let dialer: StreamDialer | undefined;
  const ready = (async () => {
    const auth: RpcAuthenticator = await createRpcAuthenticator({
      clusterKey: TEST_CLUSTER_KEY,
      now: Date.now,
    });
    dialer = createStreamDialer({
      selfId: "node-a",
      auth,
      peers: () => [{ id: "node-b", url }],
      open,
      deliver: (messages) => delivered.push(...messages),
      onRejected: (reason, detail) => rejected.push({ reason, detail }),
      onUnreachable: (peer) => failed.push(peer),
      // A long back-off: the assertions look at the first stream and at most a few more.
      limits: { idleMs, backoffMs: { min: 200, max: 400 } },
    });
    dialer.refresh();
    cleanups.push(() => dialer?.close());
  })();
  return { delivered, rejected, failed, ready, dialer: () => dialer };
}

const batch = (term: number) => encodeMessages([heartbeat("node-b", "node-a", term)]);

describe.each(ENGINES)("a dialer reading a foul peer, engine %s", (engine) => {
  const host = engine === "auto" ? "127.0.131.21" : "127.0.131.22";

  test("a forged frame MAC closes the stream and is counted; nothing after it is delivered", async () => {
    const peer = await fakePeer(engine, host, ({ seal, write }) => {
      write(seal(new Uint8Array(0)));
      write(seal(batch(1)));
      const forged = seal(batch(2));
      forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
      write(forged);
      write(seal(batch(3)));
    });
    const d = dialerOf(peer.server.url);
    await d.ready;
    await waitFor("the forged frame refused", () => d.rejected.length > 0);
    expect(d.rejected[0]?.reason).toBe("unauthenticated");
    expect(d.rejected[0]?.detail).toContain("frame 2: the MAC does not match");
    // It dials again (and the next stream is refused the same way).
    await waitFor("a second opening", () => peer.opened.length >= 2);
    expect(new Set(d.delivered.map((m) => m.term))).toEqual(new Set([1]));
    expect(peer.opened[0]).toBe(`${RAFT_STREAM_PATH}/node-a`);
  });

  test("frames from a peer without the key (another stream key) are refused at the first frame", async () => {
    const rogue = await createRpcAuthenticator({
      clusterKey: "another-cluster-key-that-is-32-bytes-long!",
      now: Date.now,
    });
    const peer = await fakePeer(engine, host, ({ write }) => {
      const sealer = createFrameSealer(rogue.streamKey("node-a", "node-b", "x", "y"));
      write(sealer.seal(batch(1)));
    });
    const d = dialerOf(peer.server.url);
    await d.ready;
    await waitFor("the rogue frame refused", () => d.rejected.length > 0);
    expect(d.rejected[0]?.reason).toBe("unauthenticated");
    expect(d.delivered).toEqual([]);
  });

  test("a replayed frame is refused", async () => {
    const peer = await fakePeer(engine, host, ({ seal, write }) => {
      const frame = seal(batch(1));
      write(frame);
      write(frame);
    });
    const d = dialerOf(peer.server.url);
    await d.ready;
    await waitFor("the replay refused", () => d.rejected.length > 0);
    expect(d.rejected[0]?.reason).toBe("unauthenticated");
    expect(d.rejected[0]?.detail).toContain("frame 1:");
    // The genuine frame once per stream opened, its replay never.
    expect(d.delivered.length).toBeGreaterThanOrEqual(1);
    expect(d.delivered.length).toBeLessThanOrEqual(peer.opened.length);
    expect(d.delivered.every((m) => m.term === 1)).toBe(true);
  });

  test("a frame declaring more than the batch limit is refused before its payload; the stream is closed", async () => {
    const peer = await fakePeer(engine, host, ({ seal, write }) => {
      write(seal(new Uint8Array(0)));
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, RPC_BODY_LIMITS.batch + 1);
      write(head);
    });
    const d = dialerOf(peer.server.url);
    await d.ready;
    await waitFor("the oversize frame refused", () => d.rejected.length > 0);
    expect(d.rejected[0]?.reason).toBe("oversize");
    await waitFor(
      "the fake peer seeing its stream closed",
      () => peer.cancelled() >= 1 || peer.opened.length >= 2,
    );
  });

  test("a frame stalled mid-way, or a stream that sends nothing, is closed at the deadline", async () => {
    const peer = await fakePeer(engine, host, ({ seal, write }) => {
      write(seal(batch(1)).subarray(0, 10));
    });
    const d = dialerOf(peer.server.url, 400);
    await d.ready;
    await waitFor("the stalled stream cut", () => d.rejected.length > 0);
    expect(d.rejected[0]?.reason).toBe("timeout");
    expect(d.delivered).toEqual([]);
    const silent = await fakePeer(engine, host, () => {});
    const s = dialerOf(silent.server.url, 400);
    await s.ready;
    await waitFor("the silent stream cut", () => s.rejected.length > 0);
    expect(s.rejected[0]?.reason).toBe("timeout");
  });

  test("reconnect() (a certificate renewal) ends the open stream and dials again at once", async () => {
    const peer = await fakePeer(engine, host, ({ seal, write }) => write(seal(batch(1))));
    const d = dialerOf(peer.server.url);
    await d.ready;
    await waitFor("the first frame", () => d.delivered.length === 1);
    d.dialer()?.reconnect();
    await waitFor("a second opening", () => peer.opened.length === 2 && d.delivered.length === 2);
    expect(d.rejected).toEqual([]);
  });

  test("an answer without a stream nonce is refused", async () => {
    const peer = await fakePeer(engine, host, ({ seal, write }) => write(seal(batch(1))), {
      withNonce: false,
    });
    const d = dialerOf(peer.server.url);
    await d.ready;
    await waitFor("the answer refused", () => d.rejected.length > 0);
    expect(d.rejected[0]?.reason).toBe("unauthenticated");
    expect(d.delivered).toEqual([]);
  });
});
