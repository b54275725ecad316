export * from "./controller.ts";
export * from "./metrics.ts";
export * from "./pod-index.ts";
