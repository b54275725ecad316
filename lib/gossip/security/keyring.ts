/**
 * The keyring: AES-256-GCM keys derived from CLUSTER_KEY (and, during a key rotation, older keys), primary
 * first. The primary seals everything we send; every key is tried, primary first, when opening, so a
 * rotation is: add the new key second everywhere, then make it primary everywhere, then drop the old one.
 *
 * Keys are derived with HKDF-SHA256 rather than used raw, so the same CLUSTER_KEY can safely key other
 * protocols (Raft RPC) under other `info` labels without two protocols ever sharing an AES key.
 */

/** The shortest secret accepted, in bytes: 256 bits, matching the CLUSTER_KEY rule of lib/config. */
export const MIN_CLUSTER_KEY_BYTES = 32;

const HKDF_SALT = new TextEncoder().encode("kubernetes-vault");
const HKDF_INFO = new TextEncoder().encode("gossip aes-256-gcm v1");

export interface Keyring {
  /** Primary first. Opaque: CryptoKeys are non-extractable, so a keyring never leaks its secrets. */
  readonly keys: readonly CryptoKey[];
}

async function deriveKey(secret: string | Uint8Array): Promise<CryptoKey> {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (bytes.length < MIN_CLUSTER_KEY_BYTES) {
    throw new Error(
      `gossip: CLUSTER_KEY is ${bytes.length} bytes; it must be at least ${MIN_CLUSTER_KEY_BYTES} (e.g. \`openssl rand -base64 48\`)`,
    );
  }
  const material = await crypto.subtle.importKey("raw", bytes as BufferSource, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Builds a keyring from secrets, primary first. Throws (without echoing any secret) if one is too short. */
export async function createKeyring(secrets: readonly (string | Uint8Array)[]): Promise<Keyring> {
  if (secrets.length === 0) throw new Error("gossip: the keyring needs at least one key (set CLUSTER_KEY)");
  return { keys: await Promise.all(secrets.map(deriveKey)) };
}
