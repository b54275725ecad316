/**
 * The sending side of the Raft transport: one queue per peer, batched, and carried by the peer's message stream
 * when it has one open (stream.ts: frames in one long-lived response, in order, no request per batch), else by
 * pipelined POSTs.
 * - Streamed: while the peer's stream is open, each batch is one frame; a batch the stream cannot take yet stays
 *   queued until it can. A bulk body (a single message larger than a batch) and any batch carrying a snapshot still
 *   go as a POST, so a lost snapshot is reported as failed as before.
 * - Batched: everything queued for a peer leaves in one POST (up to MAX_BATCH_MESSAGES), as long as its body fits
 *   the receiver's batch limit (limits.ts); a larger one is split into POSTs sent one after another in its slot, and
 *   a single message too large for a batch (a snapshot) goes alone as "bulk".
 * - Pipelined: up to `maxInflight` POSTs per peer are outstanding at once; the next batch does not wait for the
 *   previous answer. Order across POSTs is not guaranteed, which Raft tolerates (as it tolerates loss).
 * - Bounded: a peer's queue holds at most `maxQueued` messages; beyond that new messages are dropped (Raft
 *   retransmits), so a dead peer costs bounded memory.
 * A failed POST reports the peer unreachable (and a carried snapshot as failed) so the leader backs off to probing.
 */
import type { HttpFetch } from "../../runtime/index.ts";
import { type Message, MessageType } from "../messages.ts";
import type { NodeId } from "../types.ts";
import { encodeMessages } from "../wire.ts";
import type { RpcAuthenticator } from "./auth.ts";
import { DEFAULT_MAX_INFLIGHT, RPC_BODY_LIMITS, RPC_TIMEOUT_MS, type RpcKind } from "./limits.ts";
import { RAFT_MESSAGES_PATH } from "./server.ts";
import type { StreamWriter } from "./stream.ts";

/** A dead peer's queue costs at most this many messages (then new ones are dropped; Raft retransmits). */
export const DEFAULT_MAX_QUEUED = 4_096;
const MAX_BATCH_MESSAGES = 256;

export interface RpcBody {
  kind: RpcKind;
  messages: readonly Message[];
  body: Uint8Array<ArrayBuffer>;
}

/**
 * The POST bodies that carry `messages`, in order: batches within the batch limit, halving a batch until it fits;
 * a single message still too large is a bulk body. Encoding twice only happens for such oversized batches.
 */
export function encodeBodies(messages: readonly Message[]): RpcBody[] {
  const body = encodeMessages(messages);
  if (body.byteLength <= RPC_BODY_LIMITS.batch) return [{ kind: "batch", messages, body }];
  if (messages.length === 1) return [{ kind: "bulk", messages, body }];
  const half = Math.ceil(messages.length / 2);
  return [...encodeBodies(messages.slice(0, half)), ...encodeBodies(messages.slice(half))];
}

export interface PeerSenderOptions {
  selfId: NodeId;
  auth: RpcAuthenticator;
  /** Base URL (scheme://host:port) of a peer's Raft listener, or undefined when its address is unknown. */
  resolve(peer: NodeId): string | undefined;
  fetch: HttpFetch;
  maxInflight?: number;
  maxQueued?: number;
  onUnreachable(peer: NodeId): void;
  onSnapshotFailed(peer: NodeId): void;
  onDropped?(peer: NodeId, count: number): void;
  /** The peer's open message stream, if any (stream.ts's hub). */
  stream?(peer: NodeId): StreamWriter | undefined;
}

export interface PeerSenderStats {
  /** Batches that left as a stream frame. */
  framed: number;
  /** POSTs sent (no stream open, a bulk body or a snapshot). */
  posted: number;
}

export interface PeerSender {
  send(messages: readonly Message[]): void;
  /** The peer's stream can take frames again (after saying it could not). */
  wake(peer: NodeId): void;
  stats(): PeerSenderStats;
  close(): void;
}

interface PeerQueue {
  queued: Message[];
  inflight: number;
}

export function createPeerSender(options: PeerSenderOptions): PeerSender {
  const maxInflight = options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  const peers = new Map<NodeId, PeerQueue>();
  const controller = new AbortController();
  let closed = false;
  const stats: PeerSenderStats = { framed: 0, posted: 0 };

  /** One POST; false when it did not reach the peer or was refused (the caller reports it). */
  const postBody = async (base: string, peer: NodeId, part: RpcBody): Promise<boolean> => {
    if (part.body.byteLength > RPC_BODY_LIMITS[part.kind]) return false;
    const headers = options.auth.sign(options.selfId, peer, part.body, part.kind);
    stats.posted++;
    const response = await options.fetch(`${base}${RAFT_MESSAGES_PATH}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: part.body,
      signal: AbortSignal.any([controller.signal, AbortSignal.timeout(RPC_TIMEOUT_MS)]),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.status === 204;
  };

  const post = async (peer: NodeId, batch: Message[]): Promise<void> => {
    const base = options.resolve(peer);
    const failed = (lost: readonly Message[]) => {
      options.onUnreachable(peer);
      if (lost.some((m) => m.type === MessageType.InstallSnapshot)) options.onSnapshotFailed(peer);
    };
    if (base === undefined) return failed(batch);
    const parts = encodeBodies(batch);
    for (const [index, part] of parts.entries()) {
      try {
        if (await postBody(base, peer, part)) continue;
      } catch {
        if (closed) return;
      }
      // The rest of the batch would land after a gap Raft has to repair anyway: it is dropped with this part.
      return failed(parts.slice(index).flatMap((p) => p.messages));
    }
  };

  /** POSTs `part` in the background, counted among the peer's requests in flight. */
  const postAside = (peer: NodeId, queue: PeerQueue, messages: Message[]) => {
    queue.inflight++;
    void post(peer, messages).finally(() => {
      queue.inflight--;
    });
  };

  /** Frames batches into the peer's stream until the queue is empty or the stream is full. */
  const stream = (peer: NodeId, queue: PeerQueue, writer: StreamWriter): void => {
    while (!closed && queue.queued.length > 0) {
      const batch = queue.queued.splice(0, MAX_BATCH_MESSAGES);
      const parts = encodeBodies(batch);
      for (const [index, part] of parts.entries()) {
        if (part.kind === "bulk" || part.messages.some((m) => m.type === MessageType.InstallSnapshot)) {
          postAside(peer, queue, [...part.messages]);
          continue;
        }
        if (writer.write(part.body)) {
          stats.framed++;
          continue;
        }
        // Full: what is left waits, in order, for wake().
        queue.queued.unshift(...parts.slice(index).flatMap((p) => p.messages));
        return;
      }
    }
  };

  const pump = (peer: NodeId, queue: PeerQueue): void => {
    const writer = options.stream?.(peer);
    if (writer) {
      stream(peer, queue, writer);
      return;
    }
    while (!closed && queue.inflight < maxInflight && queue.queued.length > 0) {
      const batch = queue.queued.splice(0, MAX_BATCH_MESSAGES);
      queue.inflight++;
      void post(peer, batch).finally(() => {
        queue.inflight--;
        pump(peer, queue);
      });
    }
  };

  return {
    send(messages) {
      if (closed) return;
      const touched = new Set<NodeId>();
      for (const m of messages) {
        if (m.to === options.selfId) continue;
        let queue = peers.get(m.to);
        if (queue === undefined) {
          queue = { queued: [], inflight: 0 };
          peers.set(m.to, queue);
        }
        if (queue.queued.length >= maxQueued) {
          options.onDropped?.(m.to, 1);
          continue;
        }
        queue.queued.push(m);
        touched.add(m.to);
      }
      // Deferred a microtask so messages of one Ready for one peer share a POST.
      queueMicrotask(() => {
        for (const peer of touched) {
          const queue = peers.get(peer);
          if (queue) pump(peer, queue);
        }
      });
    },
    wake(peer) {
      const queue = peers.get(peer);
      if (queue && !closed) pump(peer, queue);
    },
    stats: () => ({ ...stats }),
    close() {
      closed = true;
      controller.abort(new Error("raft transport closed"));
      peers.clear();
    },
  };
}
