export * from "./config.ts";
export * from "./vault.ts";
