/** Delivery of a wrapped secret_id to an init container over HTTPS. */
export * from "./https-pusher.ts";
export * from "./listening-probe.ts";
