/**
 * sim/demo: the pieces of `bun run demo` (sim/demo.ts): options, executables, controller cluster, sample pods, live
 * display and the summary.
 */
export * from "./addresses.ts";
export * from "./binaries.ts";
export * from "./cluster.ts";
export * from "./display.ts";
export * from "./keep.ts";
export * from "./options.ts";
export * from "./pods.ts";
export * from "./run.ts";
export * from "./sidecar.ts";
export * from "./summary.ts";
