export * from "./https-pusher.ts";
