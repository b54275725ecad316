/**
 * Response-wrapping calls the init container makes: look a wrapping token up (to check which path created it
 * before trusting it) and unwrap it (single use) into the secret_id.
 * API: https://developer.hashicorp.com/vault/api-docs/system/wrapping-lookup and .../wrapping-unwrap
 *
 * Contract: lookup is a read and is retried; unwrap consumes the token and is never retried. The wrapping token is
 * sent in the body (lookup) or as X-Vault-Token (unwrap), never in a URL, and never appears in an error.
 */
import * as v from "valibot";
import { call, json, type TransportOptions } from "./transport.ts";

const LookupBody = v.object({
  data: v.looseObject({
    creation_path: v.string(),
    creation_time: v.string(),
    creation_ttl: v.pipe(v.number(), v.minValue(0)),
  }),
});

export interface WrappingLookup {
  creationPath: string;
  /** RFC 3339, as Vault writes it (may carry nanoseconds). */
  creationTime: string;
  creationTtlSeconds: number;
}

/** sys/wrapping/lookup needs no token of its own; the wrapping token goes in the body. */
export async function lookupWrapping(
  options: TransportOptions,
  wrappingToken: string,
): Promise<WrappingLookup> {
  const path = "sys/wrapping/lookup";
  const { data } = await call(options, {
    method: "POST",
    path,
    token: null,
    body: { token: wrappingToken },
    retryable: true,
    secrets: [wrappingToken],
    decode: json("POST", path, LookupBody),
  });
  return {
    creationPath: data.creation_path,
    creationTime: data.creation_time,
    creationTtlSeconds: data.creation_ttl,
  };
}

const UnwrappedSecretIdBody = v.object({
  data: v.looseObject({
    secret_id: v.pipe(v.string(), v.minLength(1)),
    secret_id_accessor: v.string(),
    secret_id_ttl: v.optional(v.number()),
    secret_id_num_uses: v.optional(v.number()),
  }),
});

export interface UnwrappedSecretId {
  /** Secret. */
  secretId: string;
  secretIdAccessor: string;
  secretIdTtlSeconds?: number;
  secretIdNumUses?: number;
}

/** Unwraps a wrapped AppRole secret_id: authenticated by the wrapping token itself, so nobody else's is needed. */
export async function unwrapSecretId(
  options: TransportOptions,
  wrappingToken: string,
): Promise<UnwrappedSecretId> {
  const path = "sys/wrapping/unwrap";
  const { data } = await call(options, {
    method: "POST",
    path,
    token: wrappingToken,
    retryable: false,
    decode: json("POST", path, UnwrappedSecretIdBody),
  });
  return {
    secretId: data.secret_id,
    secretIdAccessor: data.secret_id_accessor,
    ...(data.secret_id_ttl !== undefined ? { secretIdTtlSeconds: data.secret_id_ttl } : {}),
    ...(data.secret_id_num_uses !== undefined ? { secretIdNumUses: data.secret_id_num_uses } : {}),
  };
}
