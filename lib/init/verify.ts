/**
 * The checks made before a pushed wrapping token is unwrapped (Vault's response-wrapping advice): the token must
 * come from the expected AppRole's secret-id endpoint and must not have run out, and, when the pod pins its Vault,
 * the push must name that Vault.
 *
 * Contract: pure; each check returns undefined or a refusal whose text is safe to log and to send back.
 */
import type { PushRejectionReason } from "../push/index.ts";
import type { WrappingInfo } from "./vault-access.ts";

export interface Refusal {
  reason: PushRejectionReason;
  error: string;
}

/** Vault addresses compare by scheme, host, port and path, ignoring a trailing slash and default-port spelling. */
export function sameVaultAddr(a: string, b: string): boolean {
  const canonical = (addr: string) => {
    const url = new URL(addr);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  };
  try {
    return canonical(a) === canonical(b);
  } catch {
    return false;
  }
}

export function checkVaultAddr(pinned: string | undefined, pushed: string): Refusal | undefined {
  if (pinned === undefined || sameVaultAddr(pinned, pushed)) return undefined;
  return {
    reason: "vault-addr-mismatch",
    error: `the push names Vault ${pushed}, but this pod only trusts VAULT_ADDR=${pinned}`,
  };
}

const APPROLE_SECRET_ID_PATH = /^auth\/approle\/role\/([^/]+)\/secret-id$/;

export function expectedCreationPath(role: string): string {
  return `auth/approle/role/${role}/secret-id`;
}

export function checkWrapping(
  info: WrappingInfo,
  expectedRole: string | undefined,
  now: Date,
): Refusal | undefined {
  const match = APPROLE_SECRET_ID_PATH.exec(info.creationPath);
  if (!match || (expectedRole !== undefined && match[1] !== expectedRole)) {
    const wanted =
      expectedRole === undefined ? "auth/approle/role/<role>/secret-id" : expectedCreationPath(expectedRole);
    return {
      reason: "creation-path-mismatch",
      error: `the wrapping token was created by ${info.creationPath}, not ${wanted}`,
    };
  }
  const expiresAt = info.creationTime.getTime() + info.creationTtlSeconds * 1000;
  // Written as "not after" so that an unparseable creation time (NaN) counts as expired, never as valid.
  if (!(expiresAt > now.getTime())) {
    return {
      reason: "wrapping-token-expired",
      error: `the wrapping token expired at ${new Date(expiresAt).toISOString()}`,
    };
  }
  return undefined;
}
