/**
 * The versioned security envelope around every gossip datagram and push-pull frame:
 *
 *   version (1 byte) | nonce (12 random bytes) | AES-GCM( timestamp ms (8 bytes BE) | message ) with tag
 *
 * with `version | label` as associated data. The label (e.g. the namespace and service) keeps two clusters
 * that share a key from talking to each other; the timestamp inside the ciphertext feeds the replay window.
 * `openEnvelope` never throws: a short, unknown-version or unauthenticated input is a reason to count.
 */
import type { Keyring } from "./keyring.ts";

/** Envelope versions are protocol: append-only. */
export const ENVELOPE_VERSION = 1;
export const NONCE_BYTES = 12;
const TIMESTAMP_BYTES = 8;
const TAG_BYTES = 16;
export const MIN_ENVELOPE_BYTES = 1 + NONCE_BYTES + TIMESTAMP_BYTES + TAG_BYTES;

export type Opened =
  | { ok: true; timestampMs: number; nonce: Uint8Array; payload: Uint8Array }
  | { ok: false; reason: "truncated" | "unknownVersion" | "unauthenticated" };

function additionalData(version: number, label: string): Uint8Array {
  const labelBytes = new TextEncoder().encode(label);
  const out = new Uint8Array(1 + labelBytes.length);
  out[0] = version;
  out.set(labelBytes, 1);
  return out;
}

export async function sealEnvelope(
  keyring: Keyring,
  label: string,
  payload: Uint8Array,
  nowMs: number,
  nonce: Uint8Array = crypto.getRandomValues(new Uint8Array(NONCE_BYTES)),
): Promise<Uint8Array> {
  const key = keyring.keys[0];
  if (!key) throw new Error("gossip: empty keyring");
  const plaintext = new Uint8Array(TIMESTAMP_BYTES + payload.length);
  new DataView(plaintext.buffer).setBigUint64(0, BigInt(Math.floor(nowMs)));
  plaintext.set(payload, TIMESTAMP_BYTES);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: nonce as BufferSource,
        additionalData: additionalData(ENVELOPE_VERSION, label) as BufferSource,
      },
      key,
      plaintext as BufferSource,
    ),
  );
  const out = new Uint8Array(1 + NONCE_BYTES + sealed.length);
  out[0] = ENVELOPE_VERSION;
  out.set(nonce, 1);
  out.set(sealed, 1 + NONCE_BYTES);
  return out;
}

export async function openEnvelope(keyring: Keyring, label: string, bytes: Uint8Array): Promise<Opened> {
  if (bytes.length < MIN_ENVELOPE_BYTES) return { ok: false, reason: "truncated" };
  if (bytes[0] !== ENVELOPE_VERSION) return { ok: false, reason: "unknownVersion" };
  const nonce = bytes.slice(1, 1 + NONCE_BYTES);
  // A view, not a copy: decrypt copies its input anyway, and a flood of garbage should allocate as little as can be.
  const sealed = bytes.subarray(1 + NONCE_BYTES);
  const aad = additionalData(ENVELOPE_VERSION, label);
  for (const key of keyring.keys) {
    let plaintext: Uint8Array;
    try {
      plaintext = new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource },
          key,
          sealed as BufferSource,
        ),
      );
    } catch {
      continue;
    }
    const timestampMs = Number(new DataView(plaintext.buffer).getBigUint64(0));
    return { ok: true, timestampMs, nonce, payload: plaintext.subarray(TIMESTAMP_BYTES) };
  }
  return { ok: false, reason: "unauthenticated" };
}
