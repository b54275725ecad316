/** The init container: receive one pushed secret_id, verify it with Vault, log in, write the credentials (and, as a
 * native sidecar, keep the token renewed). */
export * from "./app.ts";
export * from "./atomic-write.ts";
export * from "./credentials.ts";
export * from "./exchange.ts";
export * from "./from-config.ts";
export * from "./from-env.ts";
export * from "./push-server.ts";
export * from "./run.ts";
export * from "./settings.ts";
export * from "./sidecar.ts";
export * from "./startup-warnings.ts";
export * from "./timeout-message.ts";
export * from "./token-keeper.ts";
export * from "./vault-access.ts";
export * from "./vault-client.ts";
export * from "./verify.ts";
