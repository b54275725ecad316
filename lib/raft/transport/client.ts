/**
 * The sending side of the Raft transport: one queue per peer, batched and pipelined.
 * - Batched: everything queued for a peer leaves in one POST (up to MAX_BATCH_MESSAGES).
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
import { RAFT_MESSAGES_PATH } from "./server.ts";

/** Enough for several heartbeat rounds plus appends in flight on loopback, little enough to bound a stuck peer. */
export const DEFAULT_MAX_INFLIGHT = 8;
export const DEFAULT_MAX_QUEUED = 4_096;
const MAX_BATCH_MESSAGES = 256;
/** Raft retries by itself; a POST that has not answered within a few election timeouts is useless. */
export const RPC_TIMEOUT_MS = 2_000;

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
}

export interface PeerSender {
  send(messages: readonly Message[]): void;
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

  const post = async (peer: NodeId, batch: Message[]): Promise<void> => {
    const base = options.resolve(peer);
    const failed = () => {
      options.onUnreachable(peer);
      if (batch.some((m) => m.type === MessageType.InstallSnapshot)) options.onSnapshotFailed(peer);
    };
    if (base === undefined) return failed();
    try {
      const body = new Uint8Array(encodeMessages(batch));
      const headers = await options.auth.sign(options.selfId, peer, body);
      const response = await options.fetch(`${base}${RAFT_MESSAGES_PATH}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/octet-stream" },
        body,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(RPC_TIMEOUT_MS)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status !== 204) failed();
    } catch {
      if (!closed) failed();
    }
  };

  const pump = (peer: NodeId, queue: PeerQueue): void => {
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
    close() {
      closed = true;
      controller.abort(new Error("raft transport closed"));
      peers.clear();
    },
  };
}
