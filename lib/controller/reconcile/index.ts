export * from "./deps.ts";
export * from "./events.ts";
export * from "./pod.ts";
export * from "./ports.ts";
export * from "./reconcile.ts";
