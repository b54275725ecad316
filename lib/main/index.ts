export * from "./controller.ts";
export * from "./coordination.ts";
export * from "./startup-error.ts";
