export * from "./keeper.ts";
export * from "./rules.ts";
export * from "./schedule.ts";
