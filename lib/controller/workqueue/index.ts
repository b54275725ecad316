/** Rate-limited work queue of pod UIDs, per-key back-off, and the worker pool that drains it. */
export * from "./backoff.ts";
export * from "./queue.ts";
export * from "./workers.ts";
