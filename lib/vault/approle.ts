/**
 * AppRole calls: minting a response-wrapped secret_id bound to one pod (controller) and logging in with it (init).
 * API: https://developer.hashicorp.com/vault/api-docs/auth/approle and .../concepts/response-wrapping
 *
 * Contract: neither call is ever retried (each mints a credential or consumes a secret_id use). The wrapping token,
 * secret_id, role_id and client token never appear in an error.
 */
import * as v from "valibot";
import { call, json, noContent, segment, type TransportOptions } from "./transport.ts";

export interface SecretIdRequest {
  /** Stored with the secret_id and copied into the token's metadata: who it was minted for. */
  metadata: Record<string, string>;
  /** Source addresses allowed to log in with the secret_id (the pod IP as /32 or /128); empty = anywhere. */
  cidrList: string[];
  /** Addresses allowed to use the resulting token; omitted = the role's setting. */
  tokenBoundCidrs?: string[];
  numUses: number;
  ttlSeconds: number;
}

export interface WrappedSecretId {
  /** Secret: hand it to the pod, never log or store it. */
  wrappingToken: string;
  /** The wrapping token's accessor (safe to log). */
  wrappingAccessor: string;
  creationTime: string;
  creationPath: string;
  ttlSeconds: number;
  /** The secret_id's own accessor (wrap_info.wrapped_accessor), for destroying it later. */
  secretIdAccessor?: string;
}

const WrapInfoBody = v.object({
  wrap_info: v.looseObject({
    token: v.pipe(v.string(), v.minLength(1)),
    accessor: v.optional(v.string(), ""),
    ttl: v.pipe(v.number(), v.minValue(1)),
    creation_time: v.string(),
    creation_path: v.string(),
    wrapped_accessor: v.optional(v.string()),
  }),
});

/**
 * PUT, as the Go client and the original did (Vault treats PUT and POST alike). `metadata` must be a JSON *string*
 * of a string map: Vault's API takes it that way, not as an object.
 */
export async function createWrappedSecretId(
  options: TransportOptions,
  role: string,
  request: SecretIdRequest,
  wrapTtlSeconds: number,
): Promise<WrappedSecretId> {
  const path = `auth/approle/role/${segment(role)}/secret-id`;
  const { wrap_info: wrap } = await call(options, {
    method: "PUT",
    path,
    headers: { "X-Vault-Wrap-TTL": `${Math.ceil(wrapTtlSeconds)}s` },
    body: {
      metadata: JSON.stringify(request.metadata),
      cidr_list: request.cidrList,
      ...(request.tokenBoundCidrs ? { token_bound_cidrs: request.tokenBoundCidrs } : {}),
      num_uses: request.numUses,
      ttl: Math.ceil(request.ttlSeconds),
    },
    retryable: false,
    decode: json("PUT", path, WrapInfoBody),
  });
  return {
    wrappingToken: wrap.token,
    wrappingAccessor: wrap.accessor,
    creationTime: wrap.creation_time,
    creationPath: wrap.creation_path,
    ttlSeconds: wrap.ttl,
    ...(wrap.wrapped_accessor ? { secretIdAccessor: wrap.wrapped_accessor } : {}),
  };
}

/** Destroys a secret_id by its accessor (a pod deleted before it logged in). Not retried, like revoke-accessor. */
export async function destroySecretIdByAccessor(
  options: TransportOptions,
  role: string,
  secretIdAccessor: string,
): Promise<void> {
  await call(options, {
    method: "POST",
    path: `auth/approle/role/${segment(role)}/secret-id-accessor/destroy`,
    body: { secret_id_accessor: secretIdAccessor },
    retryable: false,
    decode: noContent,
  });
}

const LoginBody = v.object({
  auth: v.looseObject({
    client_token: v.pipe(v.string(), v.minLength(1)),
    accessor: v.string(),
    lease_duration: v.pipe(v.number(), v.minValue(0)),
    renewable: v.boolean(),
    policies: v.optional(v.nullable(v.array(v.string())), []),
    metadata: v.optional(v.nullable(v.record(v.string(), v.string()))),
  }),
});

export interface LoginResult {
  /** Secret. */
  clientToken: string;
  accessor: string;
  leaseDuration: number;
  renewable: boolean;
  policies: string[];
  metadata: Record<string, string>;
}

export async function approleLogin(
  options: TransportOptions,
  roleId: string,
  secretId: string,
): Promise<LoginResult> {
  const path = "auth/approle/login";
  const { auth } = await call(options, {
    method: "POST",
    path,
    token: null,
    body: { role_id: roleId, secret_id: secretId },
    retryable: false,
    secrets: [roleId, secretId],
    decode: json("POST", path, LoginBody),
  });
  return {
    clientToken: auth.client_token,
    accessor: auth.accessor,
    leaseDuration: auth.lease_duration,
    renewable: auth.renewable,
    policies: auth.policies ?? [],
    metadata: auth.metadata ?? {},
  };
}
