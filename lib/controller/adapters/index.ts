/** lib/config, lib/kube and lib/vault seen through the controller's ports. */
export * from "./config.ts";
export * from "./kube.ts";
export * from "./vault.ts";
