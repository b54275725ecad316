/** The issuance ledger: interface, deterministic state machine, byte codec for Raft, in-memory implementation. */
export * from "./codec.ts";
export * from "./proposing-ledger.ts";
export * from "./state-machine.ts";
export * from "./types.ts";
