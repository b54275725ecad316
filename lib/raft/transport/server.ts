/**
 * The receiving side of the Raft transport: a Hono app with `POST /raft/messages`, a batch of messages encoded by
 * lib/raft's wire format. The answer is 204 as soon as the messages are handed to Raft (responses travel as separate
 * RPCs, like every Raft message). With a stream hub (stream.ts) it also serves `GET /raft/stream/<peer>`, the
 * message streams that carry everything but snapshots and bulk bodies while they are open.
 *
 * Order, so that no body byte is read for a request its headers already condemn:
 * 1. headers (auth.ts): MAC, timestamp window, nonce; then receiver = this node, sender != this node, declared
 *    length within the kind's limit and equal to any content-length;
 * 2. a place among the kind's requests in flight (limits.ts), else 503 at once;
 * 3. the body, read into one buffer of the signed length and hashed as it arrives; more bytes than signed, or the
 *    deadline passing, abort the read at once;
 * 4. the digest against the signed one, then decoding; every message must come from the authenticated sender and
 *    be addressed to this node.
 *
 * Refusals: 401 unauthenticated / stale / replayed (and a body that does not match its signed digest), 400
 * malformed, 413 oversize, 503 overloaded, 408 timeout; each is counted through `onRejected`. A refusal sent before
 * the body was read whole says `connection: close`, so the engine drops the upload instead of draining it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { Message } from "../messages.ts";
import { decodeMessages } from "../wire.ts";
import type { RpcAuthenticator, RpcRejection } from "./auth.ts";
import { RPC_BODY_DEADLINE_MS, RPC_BODY_LIMITS, RPC_IN_FLIGHT, type RpcKind } from "./limits.ts";
import { RAFT_STREAM_PATH, type StreamHub } from "./stream.ts";

export const RAFT_MESSAGES_PATH = "/raft/messages";

export type TransportRejection = RpcRejection | "malformed" | "oversize" | "overloaded" | "timeout";

export interface RaftRoutesOptions {
  selfId: string;
  auth: RpcAuthenticator;
  deliver(messages: readonly Message[]): void;
  onRejected(reason: TransportRejection, detail: string): void;
  /** Serves message streams (their refusals go to the hub's own onRejected). */
  streams?: StreamHub;
  /** Other figures than limits.ts's, for tests. */
  limits?: {
    body?: Partial<Record<RpcKind, number>>;
    inFlight?: Partial<Record<RpcKind, number>>;
    bodyDeadlineMs?: number;
  };
}

const STATUS: Record<TransportRejection, number> = {
  unauthenticated: 401,
  stale: 401,
  replayed: 401,
  malformed: 400,
  oversize: 413,
  overloaded: 503,
  timeout: 408,
};

type BodyRead =
  | { ok: true; bytes: Uint8Array; digest: Uint8Array }
  | { ok: false; reason: TransportRejection; detail: string };

/**
 * Reads exactly `length` bytes into one buffer, hashing each chunk as it arrives (no second copy for the digest).
 * Stops reading the moment the body runs past `length` or the deadline passes.
 */
async function readBody(request: Request, length: number, deadlineMs: number): Promise<BodyRead> {
  const out = new Uint8Array(length);
  const hash = createHash("sha256");
  const reader = request.body?.getReader();
  let offset = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reader?.cancel().catch(() => {});
  }, deadlineMs);
  try {
    for (;;) {
      const next = await reader?.read();
      if (timedOut)
        return { ok: false, reason: "timeout", detail: `body not received within ${deadlineMs} ms` };
      if (next === undefined || next.done) break;
      const chunk = next.value;
      if (offset + chunk.byteLength > length) {
        await reader?.cancel().catch(() => {});
        return {
          ok: false,
          reason: "oversize",
          detail: `body runs past its signed length of ${length} bytes`,
        };
      }
      out.set(chunk, offset);
      hash.update(chunk);
      offset += chunk.byteLength;
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: "malformed", detail: `reading the body failed: ${detail}` };
  } finally {
    clearTimeout(timer);
  }
  if (offset !== length)
    return { ok: false, reason: "malformed", detail: `body is ${offset} bytes, its signed length ${length}` };
  return { ok: true, bytes: out, digest: hash.digest() };
}

export function createRaftRoutes(options: RaftRoutesOptions): Hono {
  const app = new Hono();
  const bodyLimits = { ...RPC_BODY_LIMITS, ...options.limits?.body };
  const inFlightLimits = { ...RPC_IN_FLIGHT, ...options.limits?.inFlight };
  const deadlineMs = options.limits?.bodyDeadlineMs ?? RPC_BODY_DEADLINE_MS;
  const inFlight: Record<RpcKind, number> = { batch: 0, bulk: 0 };
  const refuse = (reason: TransportRejection, detail: string, bodyUnread: boolean) => {
    options.onRejected(reason, detail);
    return new Response(`${reason}: ${detail}\n`, {
      status: STATUS[reason],
      headers: {
        "content-type": "text/plain; charset=utf-8",
        ...(bodyUnread ? { connection: "close" } : {}),
      },
    });
  };
  app.post(RAFT_MESSAGES_PATH, async (c) => {
    const verdict = options.auth.verifyHeaders(c.req.raw.headers);
    if (!verdict.ok) return refuse(verdict.reason, verdict.detail, true);
    if (verdict.to !== options.selfId)
      return refuse("malformed", `addressed to ${verdict.to}, this is ${options.selfId}`, true);
    if (verdict.from === options.selfId) return refuse("malformed", "sent from this node's own id", true);
    if (verdict.kind === "stream")
      return refuse(
        "malformed",
        `signed as a stream opening, POST ${RAFT_MESSAGES_PATH} takes batch or bulk`,
        true,
      );
    const limit = bodyLimits[verdict.kind];
    if (verdict.length > limit)
      return refuse(
        "oversize",
        `a ${verdict.kind} body is at most ${limit} bytes, this one ${verdict.length}`,
        true,
      );
    const declared = c.req.header("content-length");
    if (declared !== undefined && declared !== String(verdict.length))
      return refuse("malformed", `content-length ${declared} differs from the signed length`, true);
    if (inFlight[verdict.kind] >= inFlightLimits[verdict.kind])
      return refuse(
        "overloaded",
        `${inFlightLimits[verdict.kind]} ${verdict.kind} requests already in flight`,
        true,
      );
    inFlight[verdict.kind]++;
    let body: BodyRead;
    try {
      body = await readBody(c.req.raw, verdict.length, deadlineMs);
    } finally {
      inFlight[verdict.kind]--;
    }
    if (!body.ok) return refuse(body.reason, body.detail, true);
    if (!timingSafeEqual(Buffer.from(body.digest), Buffer.from(verdict.digest)))
      return refuse("unauthenticated", "the body does not match its signed digest", false);
    let messages: Message[];
    try {
      messages = decodeMessages(body.bytes);
    } catch (error) {
      return refuse("malformed", error instanceof Error ? error.message : String(error), false);
    }
    if (messages.some((m) => m.from !== verdict.from || m.to !== options.selfId))
      return refuse(
        "malformed",
        "a message's from/to does not match the authenticated sender and receiver",
        false,
      );
    options.deliver(messages);
    return new Response(null, { status: 204 });
  });
  const streams = options.streams;
  if (streams) app.get(`${RAFT_STREAM_PATH}/:peer`, (c) => streams.open(c.req.raw, c.req.param("peer")));
  return app;
}
