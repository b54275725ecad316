/** lib/gossip/host: the I/O shell that runs a SWIM core over a Transport with the security envelope. */
export * from "./node.ts";
export * from "./pending.ts";
export * from "./stats.ts";
