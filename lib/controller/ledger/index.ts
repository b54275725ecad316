export * from "./codec.ts";
export * from "./proposing-ledger.ts";
export * from "./state-machine.ts";
export * from "./types.ts";
