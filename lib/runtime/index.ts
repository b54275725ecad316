export { collectGarbage } from "./bun.ts";
export * from "./http-client.ts";
export * from "./limits.ts";
export * from "./serve.ts";
