/** lib/gossip/transport: the Transport interface, its in-memory twin, the UDP + TCP implementation, and the
 * stream framing and admission that bound what an inbound stream may cost. */
export * from "./framing.ts";
export * from "./gate.ts";
export * from "./memory.ts";
export * from "./types.ts";
export * from "./udp.ts";
