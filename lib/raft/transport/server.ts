/**
 * The receiving side of the Raft transport: a Hono app with `POST /raft/messages`, a batch of messages encoded by
 * lib/raft's wire format. Every request is authenticated (auth.ts) before its body is decoded; the batch must come
 * entirely from the authenticated sender and be addressed to this node. The answer is 204 as soon as the messages
 * are handed to Raft (responses travel as separate RPCs, like every Raft message).
 *
 * Refusals: 401 unauthenticated / stale / replayed, 400 malformed; each is counted through `onRejected`.
 */
import { Hono } from "hono";
import type { Message } from "../messages.ts";
import { decodeMessages } from "../wire.ts";
import type { RpcAuthenticator, RpcRejection } from "./auth.ts";

export const RAFT_MESSAGES_PATH = "/raft/messages";

export type TransportRejection = RpcRejection | "malformed";

export interface RaftRoutesOptions {
  selfId: string;
  auth: RpcAuthenticator;
  deliver(messages: readonly Message[]): void;
  onRejected(reason: TransportRejection, detail: string): void;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

export function createRaftRoutes(options: RaftRoutesOptions): Hono {
  const app = new Hono();
  const refuse = (reason: TransportRejection, detail: string) => {
    options.onRejected(reason, detail);
    return new Response(`${reason}: ${detail}\n`, {
      status: reason === "malformed" ? 400 : 401,
      headers: TEXT,
    });
  };
  app.post(RAFT_MESSAGES_PATH, async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const verdict = await options.auth.verify(c.req.raw.headers, body);
    if (!verdict.ok) return refuse(verdict.reason, verdict.detail);
    if (verdict.to !== options.selfId)
      return refuse("malformed", `addressed to ${verdict.to}, this is ${options.selfId}`);
    let messages: Message[];
    try {
      messages = decodeMessages(body);
    } catch (error) {
      return refuse("malformed", error instanceof Error ? error.message : String(error));
    }
    if (messages.some((m) => m.from !== verdict.from || m.to !== options.selfId))
      return refuse("malformed", "a message's from/to does not match the authenticated sender and receiver");
    options.deliver(messages);
    return new Response(null, { status: 204 });
  });
  return app;
}
