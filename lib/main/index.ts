export * from "./controller.ts";
export * from "./coordination.ts";
export * from "./default-coordination.ts";
export * from "./membership.ts";
export * from "./peers.ts";
export * from "./raft-coordination.ts";
export * from "./startup-error.ts";
export * from "./static-peers.ts";
