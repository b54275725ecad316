export * from "./approle.ts";
export * from "./client.ts";
export * from "./errors.ts";
export * from "./health.ts";
export * from "./pki.ts";
export * from "./retry.ts";
export * from "./token.ts";
export * from "./wrapping.ts";
