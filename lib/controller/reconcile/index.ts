/** reconcile(uid): level-triggered issuance and cleanup, with the ports it needs and its event reason table. */
export * from "./deps.ts";
export * from "./events.ts";
export * from "./pod.ts";
export * from "./ports.ts";
export * from "./reconcile.ts";
