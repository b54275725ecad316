export * from "./backoff.ts";
export * from "./queue.ts";
export * from "./workers.ts";
