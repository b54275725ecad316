/**
 * Token auth calls the controller makes about its own token: lookup-self, renew-self, reading the token role it
 * came from, and revoking a pod's token or secret_id by accessor; and revoke-self, with which the init gives up a
 * token it could not deliver.
 * API: https://developer.hashicorp.com/vault/api-docs/auth/token
 *
 * Contract: results never include the token itself (lookup-self's `id` and renew-self's `client_token` are dropped).
 */
import * as v from "valibot";
import { call, json, noContent, segment, type TransportOptions } from "./transport.ts";

const seconds = v.pipe(v.number(), v.minValue(0));

const LookupSelfBody = v.object({
  data: v.looseObject({
    accessor: v.string(),
    policies: v.array(v.string()),
    ttl: seconds,
    renewable: v.optional(v.boolean(), false),
    period: v.optional(v.nullable(seconds)),
    explicit_max_ttl: v.optional(seconds, 0),
    creation_ttl: v.optional(seconds, 0),
    role: v.optional(v.string()),
    display_name: v.optional(v.string(), ""),
    expire_time: v.optional(v.nullable(v.string())),
    num_uses: v.optional(v.number(), 0),
    path: v.optional(v.string(), ""),
  }),
});

export interface TokenLookup {
  accessor: string;
  policies: string[];
  ttlSeconds: number;
  renewable: boolean;
  /** 0 when the token is not periodic. */
  periodSeconds: number;
  explicitMaxTtlSeconds: number;
  creationTtlSeconds: number;
  /** The token role it was created from, if any. */
  role?: string;
  displayName: string;
  expireTime?: string;
  numUses: number;
  path: string;
}

export async function lookupSelf(options: TransportOptions): Promise<TokenLookup> {
  const path = "auth/token/lookup-self";
  const { data } = await call(options, {
    method: "GET",
    path,
    retryable: true,
    decode: json("GET", path, LookupSelfBody),
  });
  return {
    accessor: data.accessor,
    policies: data.policies,
    ttlSeconds: data.ttl,
    renewable: data.renewable,
    periodSeconds: data.period ?? 0,
    explicitMaxTtlSeconds: data.explicit_max_ttl,
    creationTtlSeconds: data.creation_ttl,
    ...(data.role ? { role: data.role } : {}),
    displayName: data.display_name,
    ...(data.expire_time ? { expireTime: data.expire_time } : {}),
    numUses: data.num_uses,
    path: data.path,
  };
}

const RenewBody = v.object({
  auth: v.looseObject({
    accessor: v.string(),
    lease_duration: seconds,
    renewable: v.boolean(),
    policies: v.optional(v.nullable(v.array(v.string())), []),
  }),
});

export interface TokenRenewal {
  accessor: string;
  leaseDurationSeconds: number;
  renewable: boolean;
  policies: string[];
}

/** Renewing twice in a row is harmless (each extends from now), so this one is retried. */
export async function renewSelf(options: TransportOptions, incrementSeconds?: number): Promise<TokenRenewal> {
  const path = "auth/token/renew-self";
  const { auth } = await call(options, {
    method: "POST",
    path,
    body: incrementSeconds === undefined ? {} : { increment: incrementSeconds },
    retryable: true,
    decode: json("POST", path, RenewBody),
  });
  return {
    accessor: auth.accessor,
    leaseDurationSeconds: auth.lease_duration,
    renewable: auth.renewable,
    policies: auth.policies ?? [],
  };
}

const TokenRoleBody = v.object({
  data: v.looseObject({
    name: v.optional(v.string()),
    period: v.optional(v.nullable(seconds)),
    token_period: v.optional(v.nullable(seconds)),
    explicit_max_ttl: v.optional(v.nullable(seconds)),
    token_explicit_max_ttl: v.optional(v.nullable(seconds)),
    renewable: v.optional(v.boolean(), true),
    allowed_policies: v.optional(v.nullable(v.array(v.string())), []),
    orphan: v.optional(v.boolean(), false),
  }),
});

export interface TokenRole {
  name: string;
  periodSeconds: number;
  explicitMaxTtlSeconds: number;
  renewable: boolean;
  allowedPolicies: string[];
  orphan: boolean;
}

/** Vault answers both the current `token_*` fields and their deprecated aliases; the current ones win. */
export async function readTokenRole(options: TransportOptions, name: string): Promise<TokenRole> {
  const path = `auth/token/roles/${segment(name)}`;
  const { data } = await call(options, {
    method: "GET",
    path,
    retryable: true,
    decode: json("GET", path, TokenRoleBody),
  });
  return {
    name: data.name ?? name,
    periodSeconds: data.token_period ?? data.period ?? 0,
    explicitMaxTtlSeconds: data.token_explicit_max_ttl ?? data.explicit_max_ttl ?? 0,
    renewable: data.renewable,
    allowedPolicies: data.allowed_policies ?? [],
    orphan: data.orphan,
  };
}

/**
 * Not retried: if a first try revoked the token but its answer was lost, the retry would get 400 ("invalid
 * accessor") and turn a success into a confusing failure. Callers re-run it from their own loop.
 */
export async function revokeAccessor(options: TransportOptions, accessor: string): Promise<void> {
  await call(options, {
    method: "POST",
    path: "auth/token/revoke-accessor",
    body: { accessor },
    retryable: false,
    decode: noContent,
  });
}

/**
 * Revokes the client's own token (and its children). Not retried, for revokeAccessor's reason: a retry after a lost
 * answer would be refused (403, the token is gone) and report a success as a failure.
 */
export async function revokeSelf(options: TransportOptions): Promise<void> {
  await call(options, {
    method: "POST",
    path: "auth/token/revoke-self",
    retryable: false,
    decode: noContent,
  });
}
