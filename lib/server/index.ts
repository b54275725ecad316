export * from "./app.ts";
export * from "./bind.ts";
export * from "./readiness.ts";
