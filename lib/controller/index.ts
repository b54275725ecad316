/** The controller core: work queue, ledger, leader gate, reconcile, pusher, token keeper, and their assembly. */
export * from "./adapters/index.ts";
export * from "./assembly/index.ts";
export * from "./certificate-keeper/index.ts";
export * from "./defaults.ts";
export * from "./leader/index.ts";
export * from "./ledger/index.ts";
export * from "./pusher/index.ts";
export * from "./reconcile/index.ts";
export * from "./support/clock.ts";
export * from "./support/errors.ts";
export * from "./token-keeper/index.ts";
export * from "./workqueue/index.ts";
