/** The controller -> init push contract, imported by both sides. */
export * from "./certificate.ts";
export * from "./request.ts";
export * from "./response.ts";
