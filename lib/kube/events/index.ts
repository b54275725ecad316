export * from "./correlator.ts";
export * from "./recorder.ts";
