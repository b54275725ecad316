/**
 * The receiving end of Raft message streams: this node dials every peer's `GET /raft/stream/<self>` (stream.ts) and
 * reads the messages that peer sends it as frames, for as long as the stream lives; then dials again, with
 * back-off while it fails (STREAM_BACKOFF_MS). A peer that cannot be reached at all is reported unreachable to
 * Raft, as a failed POST is.
 *
 * Every frame is checked before its messages reach Raft (frames.ts): its declared length against the batch limit
 * (before the payload is buffered), its MAC under the stream key with the next sequence number, then the batch's
 * decoding, and each message must come from the peer dialed and be addressed to this node. The first failure closes
 * the stream, is counted (`onRejected`) and the dialer starts over. A stream that delivers no byte for
 * STREAM_IDLE_MS (the first frame, a frame stalled mid-way, or pings that stopped) is closed as a timeout.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Message } from "../messages.ts";
import { decodeMessages } from "../wire.ts";
import { RPC_HEADERS, type RpcAuthenticator } from "./auth.ts";
import { createFrameOpener, type FrameOpener } from "./frames.ts";
import { RPC_BODY_LIMITS, STREAM_BACKOFF_MS, STREAM_IDLE_MS, STREAM_PING_MS } from "./limits.ts";
import type { StreamOpen } from "./open.ts";
import type { TransportRejection } from "./server.ts";
import { RAFT_STREAM_PATH, STREAM_NONCE_HEADER } from "./stream.ts";

export interface StreamDialerOptions {
  selfId: string;
  auth: RpcAuthenticator;
  /** The peers to dial now, each with the base URL (scheme://host:port) of its Raft listener. */
  peers(): readonly { id: string; url: string }[];
  open: StreamOpen;
  deliver(messages: readonly Message[]): void;
  onRejected(reason: TransportRejection, detail: string): void;
  onUnreachable(peer: string): void;
  /** A stream from `peer` delivered its first frame. */
  onOpen?(peer: string): void;
  /** That stream ended (`why`: what ended it). */
  onClose?(peer: string, why: string): void;
  /** Other figures than limits.ts's, for tests. */
  limits?: { idleMs?: number; maxFrameBytes?: number; backoffMs?: { min: number; max: number } };
}

export interface StreamDialer {
  /**
   * Dial peers that appeared, stop dialing those that left: call when the directory changes. The dialer also
   * looks by itself every STREAM_PING_MS, for directories that do not report every change.
   */
  refresh(): void;
  /** Peers whose stream is open and has delivered its first frame. */
  connected(): string[];
  /** Ends every open stream; each is dialed again at once (after a certificate renewal: new dials present it). */
  reconnect(): void;
  close(): void;
}

const EMPTY = new Uint8Array(0);
const SERVER_NONCE = /^[A-Za-z0-9_-]{22}$/;

/** How one stream ended, for the back-off: `delivered` once a genuine frame came; `reached` once it answered. */
interface Outcome {
  reached: boolean;
  delivered: boolean;
}

export function createStreamDialer(options: StreamDialerOptions): StreamDialer {
  const idleMs = options.limits?.idleMs ?? STREAM_IDLE_MS;
  const maxFrameBytes = options.limits?.maxFrameBytes ?? RPC_BODY_LIMITS.batch;
  const backoff = options.limits?.backoffMs ?? STREAM_BACKOFF_MS;
  const closing = new AbortController();
  /** Peer id -> the abort of its dial loop. */
  const loops = new Map<string, AbortController>();
  const live = new Set<string>();
  /** The abort of every dial in progress or stream open. */
  const dials = new Set<AbortController>();

  const urlOf = (peer: string) => options.peers().find((p) => p.id === peer)?.url;

  const dialOnce = (peer: string, base: string, stop: AbortSignal): Promise<Outcome> =>
    new Promise((resolve) => {
      const headers = options.auth.sign(options.selfId, peer, EMPTY, "stream");
      const dialerNonce = headers[RPC_HEADERS.nonce] ?? "";
      const abort = new AbortController();
      dials.add(abort);
      const signal = AbortSignal.any([stop, abort.signal]);
      let why = "closed by this node";
      const outcome: Outcome = { reached: false, delivered: false };
      let opener: FrameOpener | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const refuse = (reason: TransportRejection, detail: string) => {
        why = `${reason}: ${detail}`;
        options.onRejected(reason, `stream from ${peer}: ${detail}`);
        abort.abort();
      };
      const arm = () => {
        clearTimeout(timer);
        const armedAt = performance.now();
        timer = setTimeout(() => {
          // Fired far later than asked: this process was stopped or its loop stalled, and the bytes that came
          // meanwhile wait unread in the socket. The peer gets one more period, counted from now.
          if (performance.now() - armedAt > 2 * idleMs) return arm();
          refuse("timeout", `no byte within ${idleMs} ms`);
        }, idleMs);
      };
      arm();
      options.open({
        url: `${base}${RAFT_STREAM_PATH}/${encodeURIComponent(options.selfId)}`,
        headers,
        signal,
        onResponse(status, header) {
          outcome.reached = true;
          const serverNonce = header(STREAM_NONCE_HEADER) ?? "";
          // A refusal is the peer's to count; ours is only to try again later.
          if (status !== 200) return abort.abort();
          if (!SERVER_NONCE.test(serverNonce))
            return refuse("unauthenticated", "the answer carries no valid stream nonce");
          const key = options.auth.streamKey(options.selfId, peer, dialerNonce, serverNonce);
          opener = createFrameOpener(key, maxFrameBytes);
        },
        onChunk(chunk) {
          if (opener === undefined || signal.aborted) return;
          arm();
          const { payloads, error } = opener.push(chunk);
          for (const payload of payloads) {
            if (!outcome.delivered) {
              outcome.delivered = true;
              live.add(peer);
              options.onOpen?.(peer);
            }
            if (payload.byteLength === 0) continue;
            let messages: Message[];
            try {
              messages = decodeMessages(payload);
            } catch (error) {
              return refuse("malformed", error instanceof Error ? error.message : String(error));
            }
            if (messages.some((m) => m.from !== peer || m.to !== options.selfId))
              return refuse(
                "malformed",
                "a message's from/to does not match the stream's peer and this node",
              );
            options.deliver(messages);
          }
          if (error) refuse(error.reason, error.message);
        },
        onEnd(error, connected) {
          clearTimeout(timer);
          dials.delete(abort);
          live.delete(peer);
          outcome.reached ||= connected;
          if (outcome.delivered)
            options.onClose?.(peer, abort.signal.aborted ? why : (error?.message ?? "ended"));
          resolve(outcome);
        },
      });
    });

  const run = async (peer: string, stop: AbortSignal) => {
    let failures = 0;
    while (!stop.aborted) {
      const base = urlOf(peer);
      const outcome: Outcome = base ? await dialOnce(peer, base, stop) : { reached: false, delivered: false };
      if (stop.aborted) return;
      if (!outcome.reached) options.onUnreachable(peer);
      failures = outcome.delivered ? 0 : failures + 1;
      const delay = Math.min(backoff.max, backoff.min * 2 ** Math.max(0, failures - 1));
      // Jitter, so replicas that lost each other at once do not all dial again in step.
      await sleep(delay * (0.75 + Math.random() / 2), undefined, { signal: stop }).catch(() => {});
    }
  };

  const refresh = () => {
    if (closing.signal.aborted) return;
    const wanted = new Set(options.peers().map((p) => p.id));
    wanted.delete(options.selfId);
    for (const [peer, loop] of loops)
      if (!wanted.has(peer)) {
        loop.abort();
        loops.delete(peer);
      }
    for (const peer of wanted) {
      if (loops.has(peer)) continue;
      const loop = new AbortController();
      loops.set(peer, loop);
      void run(peer, AbortSignal.any([closing.signal, loop.signal]));
    }
  };

  const looking = setInterval(refresh, STREAM_PING_MS);
  (looking as { unref?: () => void }).unref?.();

  return {
    refresh,
    connected: () => [...live],
    reconnect() {
      for (const dial of dials) dial.abort();
    },
    close() {
      clearInterval(looking);
      closing.abort();
      loops.clear();
    },
  };
}
