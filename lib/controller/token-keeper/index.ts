/** The controller's own Vault token: acceptance rules, renewal schedule and keeper. */
export * from "./keeper.ts";
export * from "./rules.ts";
export * from "./schedule.ts";
