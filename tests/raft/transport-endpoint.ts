/**
 * The Raft RPC endpoint of node "node-b" as a Hono value (no sockets), with what it delivered and refused and its
 * metrics registry: shared by the transport tests in tests/raft and tests/raft-e2e. It serves message streams too
 * (`open`), through a stream hub whose refusals, losses and wake-ups are recorded.
 */
import { createControllerMetrics } from "../../lib/metrics/index.ts";
import type { Message } from "../../lib/raft/index.ts";
import {
  createRaftRoutes,
  createRpcAuthenticator,
  createStreamHub,
  RAFT_MESSAGES_PATH,
  RAFT_STREAM_PATH,
  type RaftRoutesOptions,
  type StreamHubOptions,
  type TransportRejection,
} from "../../lib/raft/transport/index.ts";

export const TEST_CLUSTER_KEY = "the-cluster-key-of-this-test-is-32-bytes-long";
const URL_ = `http://127.0.0.1${RAFT_MESSAGES_PATH}`;

export async function raftEndpoint(
  options: {
    now?: () => number;
    limits?: RaftRoutesOptions["limits"];
    streamLimits?: StreamHubOptions["limits"];
  } = {},
) {
  const { registry, metrics } = createControllerMetrics({ defaultMetrics: false });
  const delivered: Message[] = [];
  const rejected: TransportRejection[] = [];
  const lost: string[] = [];
  const woken: string[] = [];
  const auth = await createRpcAuthenticator({ clusterKey: TEST_CLUSTER_KEY, now: options.now ?? Date.now });
  const onRejected = (reason: TransportRejection) => {
    rejected.push(reason);
    metrics.raftRpcRejected(reason);
  };
  const hub = createStreamHub({
    selfId: "node-b",
    auth,
    onRejected,
    onWritable: (peer) => woken.push(peer),
    onLost: (peer) => lost.push(peer),
    ...(options.streamLimits ? { limits: options.streamLimits } : {}),
  });
  const app = createRaftRoutes({
    selfId: "node-b",
    auth,
    deliver: (messages) => delivered.push(...messages),
    onRejected,
    streams: hub,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  /** A stream body is sent as it is (the endpoint's reads can then be counted), bytes as a copy. */
  const post = (headers: Record<string, string>, body: ReadableStream<Uint8Array> | Uint8Array) =>
    app.request(URL_, {
      method: "POST",
      headers,
      body: body instanceof Uint8Array ? new Uint8Array(body) : body,
      duplex: "half",
    } as RequestInit);
  /** Opens the stream of messages to `dialer` (the path's peer). */
  const open = (headers: Record<string, string>, dialer = "node-a") =>
    app.request(`http://127.0.0.1${RAFT_STREAM_PATH}/${dialer}`, { method: "GET", headers });
  return { registry, delivered, rejected, lost, woken, hub, auth, post, open };
}
