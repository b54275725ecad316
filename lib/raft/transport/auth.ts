/**
 * Authentication of Raft RPCs, checkable from the headers alone: an HMAC-SHA256 over (version, sender, receiver,
 * timestamp, nonce, kind, body length, SHA-256 of the body), with a key derived from CLUSTER_KEY by HKDF, so the raw
 * cluster key is never used directly and the gossip layer's key is a different one.
 * Mutual TLS (when configured) proves "holds a certificate of our PKI", but Bun cannot show the handler whose, so every
 * RPC carries the HMAC too: a process without the cluster key can never take part, even with a PKI certificate.
 *
 * Why the MAC covers a digest of the body rather than the body: a request can then be authenticated, judged fresh
 * and checked for replay before a single body byte is read, so a process without the key cannot make a node buffer
 * anything. The receiver hashes the body once, as it arrives (server.ts), and compares it with the signed digest.
 *
 * Contract: `sign()` returns the headers to send; `verifyHeaders()` answers ok with the authenticated sender,
 * receiver, kind, length and digest, or the reason to refuse: "unauthenticated" (missing, malformed or wrong MAC),
 * "stale" (timestamp outside the window) or "replayed" (nonce seen within the window). The nonce cache only holds
 * nonces still inside the window, so it is bounded by traffic. A verified nonce is spent even if its body then
 * fails, so a captured request cannot be replayed with another body of the same length.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { MAX_NODE_ID_LENGTH, SIGNED_KINDS, type SignedKind } from "./limits.ts";

export const RPC_HEADERS = {
  from: "x-raft-from",
  to: "x-raft-to",
  timestamp: "x-raft-timestamp",
  nonce: "x-raft-nonce",
  kind: "x-raft-kind",
  length: "x-raft-length",
  digest: "x-raft-body-sha256",
  signature: "x-raft-signature",
} as const;

/** Clock skew between replicas tolerated, and the life of a nonce in the replay cache. */
export const RPC_WINDOW_MS = 30_000;
/** v2: the MAC covers kind, length and the body's digest instead of the body itself. */
const MAC_VERSION = "kubernetes-vault raft rpc v2";
/** The key derivation keeps v1's info string: the key is the same, only what it signs changed. */
const HKDF_INFO = "kubernetes-vault raft rpc v1";
const HKDF_SALT = "kubernetes-vault/raft";
const NONCE_BYTES = 16;
/** base64url lengths (no padding) of the 16-byte nonce and of 32-byte digests and MACs. */
const NONCE_CHARS = 22;
const HASH_CHARS = 43;

export type RpcRejection = "unauthenticated" | "stale" | "replayed";

export interface SignedHead {
  from: string;
  to: string;
  kind: SignedKind;
  /** The request's nonce (base64url), which a stream's key is derived from. */
  nonce: string;
  /** The exact body length in bytes. */
  length: number;
  /** SHA-256 of the body. */
  digest: Uint8Array;
}

export type HeaderVerification =
  | ({ ok: true } & SignedHead)
  | { ok: false; reason: RpcRejection; detail: string };

export interface RpcAuthenticator {
  sign(from: string, to: string, body: Uint8Array, kind?: SignedKind): Record<string, string>;
  /** Everything about a request that can be checked before its body is read. */
  verifyHeaders(headers: Headers): HeaderVerification;
  /**
   * The key that authenticates the frames of one stream (stream.ts): bound to both ends and to both nonces, the
   * dialer's (signed in its opening request) and the server's (fresh per stream, in its answer), so frames recorded
   * from one stream never verify on another, and neither side alone picks the key.
   */
  streamKey(from: string, to: string, dialerNonce: string, serverNonce: string): Buffer;
}

export interface RpcAuthOptions {
  /** CLUSTER_KEY (secret). */
  clusterKey: string;
  /** Wall-clock milliseconds: timestamps are compared across machines. */
  now(): number;
  windowMs?: number;
}

const encoder = new TextEncoder();

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

function fromBase64url(text: string, chars: number): Buffer | undefined {
  return text.length === chars && /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, "base64url") : undefined;
}

/**
 * node:crypto, not crypto.subtle: every Raft RPC is signed and verified, and the promise round trips of WebCrypto
 * were 6-12% of a replica's CPU samples in a burst. The key bytes are the same as WebCrypto's HKDF -> HMAC key.
 */
function deriveKey(clusterKey: string): Buffer {
  return Buffer.from(
    hkdfSync("sha256", encoder.encode(clusterKey), encoder.encode(HKDF_SALT), encoder.encode(HKDF_INFO), 32),
  );
}

/** SHA-256 of a whole body (the sender's side; the receiver hashes as the body streams in). */
export function bodyDigest(body: Uint8Array): Uint8Array {
  return createHash("sha256").update(body).digest();
}

function mac(
  key: Buffer,
  fields: { from: string; to: string; timestamp: string; nonce: string; kind: string; length: string },
  digest: string,
): Buffer {
  const { from, to, timestamp, nonce, kind, length } = fields;
  return createHmac("sha256", key)
    .update(`${MAC_VERSION}\n${from}\n${to}\n${timestamp}\n${nonce}\n${kind}\n${length}\n${digest}`)
    .digest();
}

const isKind = (text: string): text is SignedKind => (SIGNED_KINDS as readonly string[]).includes(text);
const STREAM_KEY_VERSION = "kubernetes-vault raft stream v1";
const isCount = (text: string) => /^\d{1,15}$/.test(text);
const isNodeId = (text: string) => text.length > 0 && text.length <= MAX_NODE_ID_LENGTH;

export async function createRpcAuthenticator(options: RpcAuthOptions): Promise<RpcAuthenticator> {
  const key = deriveKey(options.clusterKey);
  const windowMs = options.windowMs ?? RPC_WINDOW_MS;
  /** nonce -> when it leaves the window; insertion order is roughly time order, so pruning stops early. */
  const seen = new Map<string, number>();
  const prune = (now: number) => {
    for (const [nonce, expires] of seen) {
      if (expires > now) break;
      seen.delete(nonce);
    }
  };
  const refuse = (reason: RpcRejection, detail: string): HeaderVerification => ({
    ok: false,
    reason,
    detail,
  });
  return {
    sign(from, to, body, kind = "batch") {
      const fields = {
        from,
        to,
        timestamp: String(options.now()),
        nonce: base64url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES))),
        kind,
        length: String(body.byteLength),
      };
      const digest = base64url(bodyDigest(body));
      return {
        [RPC_HEADERS.from]: fields.from,
        [RPC_HEADERS.to]: fields.to,
        [RPC_HEADERS.timestamp]: fields.timestamp,
        [RPC_HEADERS.nonce]: fields.nonce,
        [RPC_HEADERS.kind]: fields.kind,
        [RPC_HEADERS.length]: fields.length,
        [RPC_HEADERS.digest]: digest,
        [RPC_HEADERS.signature]: base64url(mac(key, fields, digest)),
      };
    },
    verifyHeaders(headers) {
      const read = (name: string) => headers.get(name) ?? "";
      const fields = {
        from: read(RPC_HEADERS.from),
        to: read(RPC_HEADERS.to),
        timestamp: read(RPC_HEADERS.timestamp),
        nonce: read(RPC_HEADERS.nonce),
        kind: read(RPC_HEADERS.kind),
        length: read(RPC_HEADERS.length),
      };
      const digestText = read(RPC_HEADERS.digest);
      const missing = Object.values(RPC_HEADERS).filter((name) => !headers.has(name));
      if (missing.length > 0)
        return refuse("unauthenticated", `authentication headers are missing: ${missing.join(", ")}`);
      const digest = fromBase64url(digestText, HASH_CHARS);
      const signature = fromBase64url(read(RPC_HEADERS.signature), HASH_CHARS);
      const { from, to, timestamp, nonce, kind, length } = fields;
      if (
        digest === undefined ||
        signature === undefined ||
        fromBase64url(nonce, NONCE_CHARS) === undefined ||
        !isNodeId(from) ||
        !isNodeId(to) ||
        !isCount(timestamp) ||
        !isCount(length) ||
        !isKind(kind)
      )
        return refuse("unauthenticated", "authentication headers are malformed");
      if (!timingSafeEqual(signature, mac(key, fields, digestText)))
        return refuse("unauthenticated", "the MAC does not match");
      const now = options.now();
      const sentAt = Number(timestamp);
      if (Math.abs(now - sentAt) > windowMs)
        return refuse("stale", `timestamp is outside the ${windowMs} ms window`);
      prune(now);
      if (seen.has(nonce)) return refuse("replayed", "nonce already seen");
      seen.set(nonce, sentAt + windowMs);
      return { ok: true, from, to, kind, nonce, length: Number(length), digest };
    },
    streamKey(from, to, dialerNonce, serverNonce) {
      return createHmac("sha256", key)
        .update(`${STREAM_KEY_VERSION}\n${from}\n${to}\n${dialerNonce}\n${serverNonce}`)
        .digest();
    },
  };
}
