/**
 * The push: what the controller POSTs to an init container, byte-compatible with the original
 * (`{"token","creationTime","ttl","vaultAddr","vaultCAs"}`; Go marshalled `vaultCAs []byte` as base64 or null).
 *
 * Contract: `parsePushRequest` accepts exactly what the original's controller sent and nothing weaker; every
 * problem names the field. The wrapping token itself never appears in an error text. `vaultAddr` must be https://
 * (the original also took http://, which let a forged push harvest the role_id in clear text). Unknown fields are dropped,
 * as Go's decoder did, so a newer controller can add fields without breaking older init containers.
 */
import { Buffer } from "node:buffer";
import * as v from "valibot";

/** The original's port; the controller's INIT_PORT defaults to it. */
export const INIT_PORT = 50000;
export const PUSH_PATH = "/";
/** Sidecar mode only (GET, same TLS and client-certificate check as the push): the token's standing, TokenStatus. */
export const STATUS_PATH = "/status";
/** A real push is well under 8 KiB even with a CA chain; anything far bigger is not from our controller. */
export const MAX_PUSH_BODY_BYTES = 64 * 1024;
/** Vault tokens are short; this only stops a forged push from making us send megabytes to Vault. */
const MAX_TOKEN_LENGTH = 1024;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function decodeBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, "base64").toString("utf8");
}

export const PushRequestSchema = v.object({
  token: v.pipe(
    v.string("token must be a string (the response-wrapping token)"),
    v.minLength(1, "token is empty: the controller must send the wrapping token"),
    v.maxLength(MAX_TOKEN_LENGTH, `token is longer than ${MAX_TOKEN_LENGTH} characters: not a Vault token`),
    v.regex(/^[\x21-\x7e]+$/, "token holds characters no Vault token has"),
  ),
  creationTime: v.pipe(
    v.string("creationTime must be an RFC 3339 timestamp string"),
    v.isoTimestamp("creationTime must be an RFC 3339 timestamp such as 2024-01-02T03:04:05Z"),
  ),
  ttl: v.pipe(
    v.number("ttl must be a number of seconds"),
    v.integer("ttl must be a whole number of seconds"),
    v.minValue(1, "ttl must be at least 1 second"),
  ),
  vaultAddr: v.pipe(
    v.string("vaultAddr must be a string URL"),
    v.url("vaultAddr must be a URL such as https://vault:8200"),
    // The init sends the role_id and secret_id to this address: never in clear text, whoever asks.
    v.check(
      (addr) => new URL(addr).protocol === "https:",
      "vaultAddr must be an https:// URL: the init will not send the role_id and secret_id to Vault over plain http (set the controller's VAULT_ADDR to Vault's https:// address)",
    ),
  ),
  vaultCAs: v.pipe(
    v.nullable(v.string("vaultCAs must be base64 text or null")),
    v.check(
      (cas) => cas === null || PEM_CERTIFICATE.test(decodeBase64(cas) ?? ""),
      "vaultCAs must be the base64 encoding of a PEM bundle holding at least one CERTIFICATE, or null",
    ),
  ),
  /**
   * Which issuance of this (pod, init restart) the push carries: 0 for the first, +1 for each re-issue to a
   * native sidecar. Absent from the original's controller (read as 0). A sidecar that already holds a token of
   * this generation answers with that token's confirmation instead of logging in again, so a push repeated by a
   * new leader after failover never yields a second token.
   */
  generation: v.optional(
    v.pipe(
      v.number("generation must be a number"),
      v.integer("generation must be a whole number"),
      v.minValue(0, "generation must be 0 or more"),
    ),
  ),
});

export type PushRequest = v.InferOutput<typeof PushRequestSchema>;

export type PushParseResult = { ok: true; push: PushRequest } | { ok: false; problems: string[] };

/** Validates a decoded JSON body. Problems read "field: what is wrong" and never quote the token. */
export function parsePushRequest(body: unknown): PushParseResult {
  const result = v.safeParse(PushRequestSchema, body, { abortPipeEarly: true });
  if (result.success) return { ok: true, push: result.output };
  const problems = result.issues.map((issue) => {
    const field = v.getDotPath(issue) ?? "body";
    const message = issue.expected === "Object" ? "the body must be a JSON object" : issue.message;
    return `${field}: ${message}`;
  });
  return { ok: false, problems };
}

/** The PEM bundle carried in `vaultCAs`, or undefined when none was sent. */
export function decodeVaultCAs(push: Pick<PushRequest, "vaultCAs">): string | undefined {
  return push.vaultCAs === null ? undefined : decodeBase64(push.vaultCAs);
}

/** The controller's side: a PEM bundle (or nothing) as the original's controller encoded it. */
export function encodeVaultCAs(pemBundle: string | undefined): string | null {
  return pemBundle ? Buffer.from(pemBundle, "utf8").toString("base64") : null;
}
