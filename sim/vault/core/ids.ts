/**
 * Identifiers in Vault's shapes: service tokens `hvs.` + 24 base62 characters, accessors 24 base62 characters,
 * and UUIDs for request ids, role ids, secret_ids and their accessors.
 *
 * Contract: all randomness comes from the injected `RandomSource`, so a test can make ids reproducible.
 */
export type RandomSource = (length: number) => Uint8Array;

export const cryptoRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export interface IdSource {
  uuid(): string;
  base62(length: number): string;
  token(): string;
  accessor(): string;
}

export function createIdSource(random: RandomSource = cryptoRandom): IdSource {
  const base62 = (length: number) => {
    let out = "";
    while (out.length < length) {
      for (const byte of random(length)) {
        // Rejection sampling keeps the alphabet uniform (248 = 4 * 62).
        if (byte < 248 && out.length < length) out += BASE62[byte % 62];
      }
    }
    return out;
  };
  return {
    uuid() {
      const bytes = random(16);
      bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
      bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
    base62,
    token: () => `hvs.${base62(24)}`,
    accessor: () => base62(24),
  };
}
