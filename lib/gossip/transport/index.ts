/** lib/gossip/transport: the Transport interface, its in-memory twin, and the UDP + TCP implementation. */
export * from "./memory.ts";
export * from "./types.ts";
export * from "./udp.ts";
