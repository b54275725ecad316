/**
 * The serving end of Raft message streams, as etcd's rafthttp does it: a peer that wants our messages dials
 * `GET /raft/stream/<its id>` (dialer.ts), and everything this node sends it then leaves as frames (frames.ts) in
 * that one response body, instead of a POST per batch. One stream per peer: a newer one from the same peer
 * replaces (closes) the older.
 *
 * Opening, before anything is written: the request's headers carry the cluster-key HMAC of auth.ts (kind "stream",
 * empty body), so a missing, forged, stale, replayed or misaddressed opening is refused (401/400) as a POST is; at
 * most MAX_STREAMS are open at once (503). The answer carries a fresh server nonce; both ends derive the stream key
 * from the two nonces, and every frame carries a MAC under it with an implicit sequence number.
 *
 * While open: a ping frame first (the dialer's deadline for the first byte) and whenever nothing else was written
 * for STREAM_PING_MS; frames wait in the response's queue up to STREAM_QUEUED_BYTES, beyond which `write` says no
 * and the sender keeps its messages; a reader that has taken nothing for STREAM_IDLE_MS while frames wait is cut.
 */
import { Buffer } from "node:buffer";
import type { RpcAuthenticator } from "./auth.ts";
import { createFrameSealer } from "./frames.ts";
import { MAX_STREAMS, STREAM_IDLE_MS, STREAM_PING_MS, STREAM_QUEUED_BYTES } from "./limits.ts";

export const RAFT_STREAM_PATH = "/raft/stream";
/** The server's nonce, in the answer to an opening. */
export const STREAM_NONCE_HEADER = "x-raft-stream-nonce";

export type StreamRefusal = "unauthenticated" | "stale" | "replayed" | "malformed" | "overloaded";

export interface StreamWriter {
  /** Frames one encoded message batch; false (nothing written) when the stream cannot take it now or is closed. */
  write(payload: Uint8Array): boolean;
}

export interface StreamHubOptions {
  selfId: string;
  auth: RpcAuthenticator;
  onRejected(reason: StreamRefusal | "timeout", detail: string): void;
  /** A stream to `peer` can take frames (again): the sender pumps its queue. */
  onWritable(peer: string): void;
  /** The stream to `peer` ended without a newer one replacing it. */
  onLost(peer: string): void;
  limits?: { maxStreams?: number; queuedBytes?: number; pingMs?: number; idleMs?: number };
}

export interface StreamHub {
  /** The answer to an opening request: a refusal, or the stream's response. */
  open(request: Request, dialer: string): Response;
  /** The open stream to `peer`, if any. */
  writer(peer: string): StreamWriter | undefined;
  /** Ends every stream (stopping). */
  close(): void;
}

interface OpenStream extends StreamWriter {
  end(): void;
}

const STATUS: Record<StreamRefusal, number> = {
  unauthenticated: 401,
  stale: 401,
  replayed: 401,
  malformed: 400,
  overloaded: 503,
};

const EMPTY = new Uint8Array(0);

/** A fresh server nonce (16 random bytes, base64url), the same shape as a request's. */
export const newStreamNonce = () =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");

export function createStreamHub(options: StreamHubOptions): StreamHub {
  const maxStreams = options.limits?.maxStreams ?? MAX_STREAMS;
  const queuedBytes = options.limits?.queuedBytes ?? STREAM_QUEUED_BYTES;
  const pingMs = options.limits?.pingMs ?? STREAM_PING_MS;
  const idleMs = options.limits?.idleMs ?? STREAM_IDLE_MS;
  const current = new Map<string, OpenStream>();
  /** Every stream not yet ended, replaced ones still closing included. */
  const live = new Set<OpenStream>();
  let closed = false;

  const refuse = (reason: StreamRefusal, detail: string) => {
    options.onRejected(reason, detail);
    return new Response(`${reason}: ${detail}\n`, {
      status: STATUS[reason],
      headers: { "content-type": "text/plain; charset=utf-8", connection: "close" },
    });
  };

  const start = (peer: string, key: Uint8Array): { stream: OpenStream; body: ReadableStream<Uint8Array> } => {
    const sealer = createFrameSealer(key);
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let ended = false;
    let lastWrite = 0;
    let lastTick = performance.now();
    /** Since when frames have waited without the reader taking any (undefined: it keeps up). */
    let blockedSince: number | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    const stream: OpenStream = {
      write(payload) {
        if (ended || controller === undefined) return false;
        if ((controller.desiredSize ?? 0) <= 0) {
          blockedSince ??= performance.now();
          return false;
        }
        controller.enqueue(sealer.seal(payload));
        lastWrite = performance.now();
        return true;
      },
      end() {
        if (ended) return;
        ended = true;
        clearInterval(timer);
        live.delete(stream);
        try {
          controller?.close();
        } catch {
          // Already cancelled by the engine (the dialer hung up).
        }
        if (current.get(peer) === stream) {
          current.delete(peer);
          if (!closed) options.onLost(peer);
        }
      },
    };
    live.add(stream);
    const body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c;
          stream.write(EMPTY);
          timer = setInterval(() => {
            const now = performance.now();
            // A tick far later than asked means this process was stopped or its loop stalled: the reader had no
            // chance to take anything meanwhile, so its time starts again.
            if (blockedSince !== undefined && now - lastTick > 2 * pingMs) blockedSince = now;
            lastTick = now;
            if (blockedSince !== undefined && now - blockedSince > idleMs) {
              options.onRejected("timeout", `peer ${peer} took no frame for ${idleMs} ms`);
              stream.end();
              return;
            }
            if (now - lastWrite >= pingMs) stream.write(EMPTY);
          }, pingMs);
          (timer as { unref?: () => void }).unref?.();
        },
        pull() {
          if (blockedSince === undefined) return;
          blockedSince = undefined;
          options.onWritable(peer);
        },
        cancel() {
          stream.end();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: queuedBytes }),
    );
    return { stream, body };
  };

  return {
    open(request, dialer) {
      const verdict = options.auth.verifyHeaders(request.headers);
      if (!verdict.ok) return refuse(verdict.reason, verdict.detail);
      if (verdict.kind !== "stream")
        return refuse("malformed", `signed as kind ${verdict.kind}, a stream opening is signed as "stream"`);
      if (verdict.to !== options.selfId)
        return refuse("malformed", `addressed to ${verdict.to}, this is ${options.selfId}`);
      if (verdict.from === options.selfId) return refuse("malformed", "sent from this node's own id");
      if (verdict.from !== dialer)
        return refuse("malformed", `signed by ${verdict.from}, the path names ${dialer}`);
      if (verdict.length !== 0) return refuse("malformed", "a stream opening has no body");
      if (closed) return refuse("overloaded", "this node is stopping");
      const previous = current.get(dialer);
      // A replacement does not count against the cap: it closes the stream it replaces.
      if (live.size - (previous ? 1 : 0) >= maxStreams)
        return refuse("overloaded", `${maxStreams} streams already open`);
      const serverNonce = newStreamNonce();
      const key = options.auth.streamKey(dialer, options.selfId, verdict.nonce, serverNonce);
      const { stream, body } = start(dialer, key);
      current.set(dialer, stream);
      previous?.end();
      queueMicrotask(() => options.onWritable(dialer));
      return new Response(body, {
        status: 200,
        headers: {
          "content-type": "application/octet-stream",
          "cache-control": "no-store",
          [STREAM_NONCE_HEADER]: serverNonce,
        },
      });
    },
    writer: (peer) => current.get(peer),
    close() {
      closed = true;
      for (const stream of [...live]) stream.end();
      current.clear();
    },
  };
}
