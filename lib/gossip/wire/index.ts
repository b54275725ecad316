/** lib/gossip/wire: message types (append-only numbered table) and their byte encoding. Pure. */
export * from "./codec.ts";
export * from "./messages.ts";
export { metaSchema } from "./schemas.ts";
