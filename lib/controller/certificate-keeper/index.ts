/** A Vault-PKI certificate kept fresh (renewed at half-life). */
export * from "./keeper.ts";
