export * from "./keeper.ts";
