/** lib/gossip/core: the pure SWIM member (see swim.ts) and its building blocks. */
export { BroadcastQueue, retransmitLimit } from "./broadcasts.ts";
export { DEFAULT_TIMING, type SwimConfig, type SwimTiming } from "./config.ts";
export { expectedConfirmations, Suspicion, suspicionMinTimeoutMs, suspicionTimeoutMs } from "./suspicion.ts";
export { Swim } from "./swim.ts";
export type * from "./types.ts";
