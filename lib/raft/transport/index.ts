/**
 * lib/raft/transport: Raft RPC between controllers over HTTP(S): authenticated (HMAC over CLUSTER_KEY, plus mutual
 * TLS when the caller serves it with a PKI certificate), carried by one long-lived message stream per direction
 * (stream.ts serves it, dialer.ts reads it; frames.ts MACs every frame) and by POSTs for snapshots, bulk bodies and
 * while a stream is down, with bounded frames, bodies and requests in flight (limits.ts).
 */
export * from "./auth.ts";
export * from "./client.ts";
export * from "./dialer.ts";
export * from "./frames.ts";
export * from "./limits.ts";
export * from "./open.ts";
export * from "./server.ts";
export * from "./stream.ts";
