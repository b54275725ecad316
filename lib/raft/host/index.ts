/**
 * lib/raft/host: the production shell around the pure core: monotonic ticking, the Ready loop with durable storage,
 * state-machine application and snapshots, proposals that resolve once applied, lease-gated leadership.
 */
export * from "./defaults.ts";
export * from "./errors.ts";
export * from "./raft-host.ts";
export { TickClock } from "./ticker.ts";
