/**
 * The limits every server bound by serve() holds, whichever engine runs it, in one place with their reasons.
 * Bun.serve enforces some by itself (header size, idle timeout, body size); the portable engine (node-server.ts)
 * enforces all of them with its own code, because Deno's and Bun's node:http honour only part of node's options
 * (measured: neither closes a slowloris connection on headersTimeout, and Bun ignores maxConnections).
 */

export interface ServerLimits {
  /** Request line plus headers; beyond it the request is answered 431 and the connection closed. */
  maxHeaderBytes: number;
  /** From a connection's start to its first request's complete headers; then it is closed. */
  headersTimeoutMs: number;
  /** From the headers to the last byte of the request's body; then 408 and close. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request in progress (and no complete next headers) is closed after this. */
  idleTimeoutMs: number;
  /** Open connections per server; one more is closed as soon as it is accepted. */
  maxConnections: number;
}

export const SERVER_LIMITS: Readonly<ServerLimits> = {
  // Bun's own limit (fixed per process by --max-http-header-size, default 16 KiB) and node's default, so both engines
  // refuse the same requests. Our clients send well under 2 KiB: the Raft HMAC headers, a bearer token, a push.
  maxHeaderBytes: 16 * 1024,
  // Our clients write a request's headers in one go: a connection still without them after 10 s is a slowloris,
  // not a slow network. Same figure as the idle timeout, which Bun applies to a connection stuck in its headers.
  headersTimeoutMs: 10_000,
  // The largest genuine body is a 64 MiB Raft snapshot, whose sender gives up after 2 s (RPC_TIMEOUT_MS); a push is
  // a few KiB. 30 s is far beyond any of them on a real network and still frees a trickling upload's connection.
  requestTimeoutMs: 30_000,
  // Bun.serve's default idleTimeout (10 s), so keep-alive connections live as long under both engines; node's own
  // default (5 s) would close them earlier than Bun does.
  idleTimeoutMs: 10_000,
  // Production servers see a handful of clients (the init: one controller; metrics: Prometheus and probes; Raft:
  // up to 8 pipelined POSTs per peer). The busiest client in our test rig, the sandbox kubelet patching the bench's
  // 1,000 pods at once, stays under it. Beyond it, a connection flood costs file descriptors and parser state only
  // up to this bound.
  maxConnections: 1024,
};

/** serve()'s body limit when the caller names none: our JSON documents are a few KiB (a push, a Vault answer). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function resolveLimits(overrides: Partial<ServerLimits> | undefined): Readonly<ServerLimits> {
  const limits = { ...SERVER_LIMITS, ...overrides };
  // Node refuses such a server itself, and the headers are part of the request the request timeout bounds.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new RangeError(
      `serve(): headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  return limits;
}
