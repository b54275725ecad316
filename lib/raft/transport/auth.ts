/**
 * Authentication of Raft RPCs: HMAC-SHA256 over (version, sender, receiver, timestamp, nonce, body) with a key derived
 * from CLUSTER_KEY by HKDF, so the raw cluster key is never used directly and the gossip layer's key is a different one.
 * Mutual TLS (when configured) proves "holds a certificate of our PKI", but Bun cannot show the handler whose, so every
 * RPC carries the HMAC too: a process without the cluster key can never take part, even with a PKI certificate.
 *
 * Contract: `sign()` returns the headers to send; `verify()` answers ok with the authenticated sender, or the reason
 * to refuse: "unauthenticated" (missing or wrong MAC), "stale" (timestamp outside the window) or "replayed" (nonce
 * seen within the window). The nonce cache only holds nonces still inside the window, so it is bounded by traffic.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

export const RPC_HEADERS = {
  from: "x-raft-from",
  to: "x-raft-to",
  timestamp: "x-raft-timestamp",
  nonce: "x-raft-nonce",
  signature: "x-raft-signature",
} as const;

/** Clock skew between replicas tolerated, and the life of a nonce in the replay cache. */
export const RPC_WINDOW_MS = 30_000;
const MAC_VERSION = "kubernetes-vault raft rpc v1";
const HKDF_SALT = "kubernetes-vault/raft";
const NONCE_BYTES = 16;

export type RpcRejection = "unauthenticated" | "stale" | "replayed";
export type Verification =
  | { ok: true; from: string; to: string }
  | { ok: false; reason: RpcRejection; detail: string };

export interface RpcAuthenticator {
  sign(from: string, to: string, body: Uint8Array): Promise<Record<string, string>>;
  verify(headers: Headers, body: Uint8Array): Promise<Verification>;
}

export interface RpcAuthOptions {
  /** CLUSTER_KEY (secret). */
  clusterKey: string;
  /** Wall-clock milliseconds: timestamps are compared across machines. */
  now(): number;
  windowMs?: number;
}

const encoder = new TextEncoder();

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * node:crypto, not crypto.subtle: every Raft RPC is signed and verified, and the promise round trips of WebCrypto
 * were 6-12% of a replica's CPU samples in a burst. The key bytes are the same as WebCrypto's HKDF -> HMAC key.
 */
function deriveKey(clusterKey: string): Buffer {
  return Buffer.from(
    hkdfSync(
      "sha256",
      encoder.encode(clusterKey),
      encoder.encode(HKDF_SALT),
      encoder.encode(MAC_VERSION),
      32,
    ),
  );
}

function mac(key: Buffer, bytes: Uint8Array): Buffer {
  return createHmac("sha256", key).update(bytes).digest();
}

function signedBytes(
  from: string,
  to: string,
  timestamp: string,
  nonce: string,
  body: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const head = encoder.encode(`${MAC_VERSION}\n${from}\n${to}\n${timestamp}\n${nonce}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

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
  return {
    async sign(from, to, body) {
      const timestamp = String(options.now());
      const nonce = base64url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
      const signature = mac(key, signedBytes(from, to, timestamp, nonce, body));
      return {
        [RPC_HEADERS.from]: from,
        [RPC_HEADERS.to]: to,
        [RPC_HEADERS.timestamp]: timestamp,
        [RPC_HEADERS.nonce]: nonce,
        [RPC_HEADERS.signature]: base64url(new Uint8Array(signature)),
      };
    },
    async verify(headers, body) {
      const from = headers.get(RPC_HEADERS.from);
      const to = headers.get(RPC_HEADERS.to);
      const timestamp = headers.get(RPC_HEADERS.timestamp);
      const nonce = headers.get(RPC_HEADERS.nonce);
      const signature = fromBase64url(headers.get(RPC_HEADERS.signature) ?? "");
      if (!from || !to || !timestamp || !nonce || signature === undefined)
        return { ok: false, reason: "unauthenticated", detail: "authentication headers are missing" };
      const expected = mac(key, signedBytes(from, to, timestamp, nonce, body));
      const valid = signature.length === expected.length && timingSafeEqual(signature, expected);
      if (!valid) return { ok: false, reason: "unauthenticated", detail: "the MAC does not match" };
      const now = options.now();
      const sentAt = Number(timestamp);
      if (!Number.isSafeInteger(sentAt) || Math.abs(now - sentAt) > windowMs)
        return { ok: false, reason: "stale", detail: `timestamp is outside the ${windowMs} ms window` };
      prune(now);
      if (seen.has(nonce)) return { ok: false, reason: "replayed", detail: "nonce already seen" };
      seen.set(nonce, sentAt + windowMs);
      return { ok: true, from, to };
    },
  };
}
