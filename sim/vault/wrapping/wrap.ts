/**
 * Response wrapping (docs/concepts/response-wrapping): a response is stored behind a single-use token whose only
 * power is to be unwrapped. The wrapping token is an orphan service token with num_uses 1, the internal
 * `response-wrapping` policy and the requested TTL.
 */
import { RESPONSE_WRAPPING_POLICY_NAME } from "../acl/builtin.ts";
import { rfc3339 } from "../core/clock.ts";
import { invalidWrappingToken } from "../core/errors.ts";
import type { WrapInfo } from "../core/logical.ts";
import type { TokenEntry, WrappedResponse } from "../token/entry.ts";
import type { TokenStore } from "../token/store.ts";

export function wrapResponse(tokens: TokenStore, wrapped: WrappedResponse, ttlSeconds: number): WrapInfo {
  const entry = tokens.create({
    policies: [RESPONSE_WRAPPING_POLICY_NAME],
    displayName: "",
    path: wrapped.creationPath,
    ttl: ttlSeconds,
    numUses: 1,
    orphan: true,
    renewable: false,
    wrapping: wrapped,
  });
  return {
    token: entry.id,
    accessor: entry.accessor,
    ttl: entry.creationTtl,
    creation_time: rfc3339(entry.creationTime),
    creation_path: wrapped.creationPath,
    wrapped_accessor: wrapped.wrappedAccessor,
  };
}

/** The live wrapping token with this id, or Vault's 400 "wrapping token is not valid or does not exist". */
export function liveWrappingToken(
  tokens: TokenStore,
  id: string | undefined,
): TokenEntry & { wrapping: WrappedResponse } {
  const entry = id ? tokens.lookup(id) : undefined;
  if (!entry?.wrapping) throw invalidWrappingToken();
  return entry as TokenEntry & { wrapping: WrappedResponse };
}
