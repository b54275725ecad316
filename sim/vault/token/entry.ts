/**
 * A token as the token store keeps it, and the two JSON shapes Vault prints for one: the `auth` block of a login or
 * create, and the `data` of lookup / lookup-self / lookup-accessor.
 */
import { rfc3339, unixSeconds } from "../core/clock.ts";
import type { AuthBlock } from "../core/logical.ts";

export interface WrappedResponse {
  creationPath: string;
  /** The response body the wrapping token unwraps to (data or auth, warnings). */
  body: { data: Record<string, unknown> | null; auth: AuthBlock | null; warnings: string[] | null };
  wrappedAccessor: string;
}

export interface TokenEntry {
  id: string;
  accessor: string;
  /** Sorted and de-duplicated, as Vault stores them. */
  policies: string[];
  meta: Record<string, string> | null;
  displayName: string;
  path: string;
  /** Milliseconds. */
  creationTime: number;
  /** Seconds. */
  creationTtl: number;
  /** Milliseconds; null for tokens that never expire (root). */
  expireTime: number | null;
  /** Hard end of renewals, milliseconds; null when unbounded (periodic tokens, root). */
  maxExpireTime: number | null;
  explicitMaxTtl: number;
  period: number;
  /**
   * The period came from the token's role. Real Vault (checked on 1.13) applies a role's period at creation and at
   * every renewal without recording it on the token, so lookup shows no `period` for such a token.
   */
  periodFromRole: boolean;
  /** 0 = unlimited; counts down to exhaustion. */
  numUses: number;
  orphan: boolean;
  parent: string | undefined;
  renewable: boolean;
  role: string;
  boundCidrs: string[];
  lastRenewalTime: number | null;
  /** Present on response-wrapping tokens only. */
  wrapping?: WrappedResponse;
}

export function remainingTtlSeconds(entry: TokenEntry, now: number): number {
  return entry.expireTime === null ? 0 : Math.max(0, Math.round((entry.expireTime - now) / 1000));
}

export function authBlock(entry: TokenEntry, now: number): AuthBlock {
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: remainingTtlSeconds(entry, now),
    renewable: entry.renewable,
    entity_id: "",
    token_type: "service",
    orphan: entry.orphan,
    mfa_requirement: null,
    num_uses: entry.numUses,
  };
}

export function lookupData(entry: TokenEntry, now: number, includeId: boolean): Record<string, unknown> {
  return {
    accessor: entry.accessor,
    creation_time: unixSeconds(entry.creationTime),
    creation_ttl: entry.creationTtl,
    display_name: entry.displayName,
    entity_id: "",
    expire_time: entry.expireTime === null ? null : rfc3339(entry.expireTime),
    explicit_max_ttl: entry.explicitMaxTtl,
    id: includeId ? entry.id : "",
    issue_time: rfc3339(entry.creationTime),
    ...(entry.lastRenewalTime === null
      ? {}
      : {
          last_renewal: rfc3339(entry.lastRenewalTime),
          last_renewal_time: unixSeconds(entry.lastRenewalTime),
        }),
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.orphan,
    path: entry.path,
    ...(entry.period > 0 && !entry.periodFromRole ? { period: entry.period } : {}),
    policies: entry.policies,
    renewable: entry.renewable,
    ...(entry.role ? { role: entry.role } : {}),
    ttl: remainingTtlSeconds(entry, now),
    type: "service",
  };
}

export function normalizePolicies(policies: string[]): string[] {
  return [...new Set(policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ""))].sort();
}
