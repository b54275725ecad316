export * from "./config.ts";
export * from "./kube.ts";
export * from "./vault.ts";
