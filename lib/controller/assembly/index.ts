/** The assembled controller: informer events, pod index, queue, workers, leadership, shutdown. */
export * from "./controller.ts";
export * from "./metrics.ts";
export * from "./pod-index.ts";
