export * from "./x509.ts";
