/** lib/gossip/security: keyring from CLUSTER_KEY, the AES-GCM envelope, and the replay window. */
export * from "./envelope.ts";
export * from "./keyring.ts";
export * from "./replay.ts";
