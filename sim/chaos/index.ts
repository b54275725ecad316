/**
 * sim/chaos: the pieces of `bun run chaos` (sim/chaos.ts): options, the seeded schedule, the disruptions, the
 * replicas' bookkeeping and the end-state checks.
 */
export * from "./actions.ts";
export * from "./addresses.ts";
export * from "./checks.ts";
export * from "./logins.ts";
export * from "./options.ts";
export * from "./pods.ts";
export * from "./replicas.ts";
export * from "./run.ts";
export * from "./schedule.ts";
