export * from "./http-client.ts";
export * from "./serve.ts";
