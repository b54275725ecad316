export * from "./decide.ts";
export * from "./glob.ts";
export * from "./parse.ts";
