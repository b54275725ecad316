/** "Run while leader": the leader gate the reconcile loop obeys, and its single-replica implementation. */
export * from "./gate.ts";
