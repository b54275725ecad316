/**
 * lib/raft/transport: Raft RPC between controllers over HTTP(S): authenticated (HMAC over CLUSTER_KEY, plus mutual
 * TLS when the caller serves it with a PKI certificate), batched and pipelined, with bounded bodies and requests in
 * flight (limits.ts).
 */
export * from "./auth.ts";
export * from "./client.ts";
export * from "./limits.ts";
export * from "./server.ts";
