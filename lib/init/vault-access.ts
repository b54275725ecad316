/**
 * The Vault calls an init container makes (lookup, unwrap, login, revoke-self for a token it could not deliver
 * or no longer needs, and renew-self in sidecar mode), behind a small interface so the exchange can be tested without a Vault, plus the choice of which CAs
 * verify Vault for a given push.
 *
 * Contract: implementations throw `VaultCallError`; `refused` is true when Vault answered with a 4xx (the
 * wrapping token is unknown, used up or expired; the secret_id was refused), false when Vault could not be reached
 * or failed. Error texts never contain a token or secret_id. `lookupWrapping` gives up within
 * WRAPPING_LOOKUP_DEADLINE_MS (vault-client.ts), or at once when `signal` aborts.
 */
export interface WrappingInfo {
  creationPath: string;
  creationTime: Date;
  creationTtlSeconds: number;
}

export interface UnwrappedSecretId {
  secretId: string;
  secretIdAccessor: string;
}

export interface LoginResult {
  clientToken: string;
  accessor: string;
  leaseDuration: number;
  renewable: boolean;
}

/** What a renewal granted: the lease from now, and whether another renewal may extend it. */
export interface TokenLease {
  leaseDuration: number;
  renewable: boolean;
}

export interface VaultAccess {
  lookupWrapping(wrappingToken: string, signal?: AbortSignal): Promise<WrappingInfo>;
  unwrapSecretId(wrappingToken: string): Promise<UnwrappedSecretId>;
  login(roleId: string, secretId: string): Promise<LoginResult>;
  /** Revokes `clientToken` with itself (auth/token/revoke-self): no other permission is needed. */
  revokeSelf(clientToken: string): Promise<void>;
  /**
   * auth/token/renew-self asking for `incrementSeconds` more; Vault may grant less (capped at the token's max TTL).
   * Retried by lib/vault on an unreachable Vault or a 5xx (renewing twice is harmless).
   */
  renewSelf(clientToken: string, incrementSeconds: number): Promise<TokenLease>;
  close(): void;
}

export interface VaultTarget {
  addr: string;
  /** PEM bundle to verify Vault with; undefined means the system roots. */
  caPem: string | undefined;
}

export type OpenVault = (target: VaultTarget) => VaultAccess;

export class VaultCallError extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
    /** Vault's HTTP status when it answered (403: the token is revoked or expired). */
    readonly status?: number,
  ) {
    super(message);
    this.name = "VaultCallError";
  }
}

/**
 * CAs sent in a push are trusted only when the push itself was authenticated (the controller's client certificate
 * chained to CONTROLLER_CA_CERT): otherwise anyone able to reach the pod could point it at a Vault of their own
 * (the original's flaw 1). VAULT_CACERT, set in the pod spec, is always trusted.
 */
export function vaultCaBundle(
  pushedCaPem: string | undefined,
  localCaPem: string | undefined,
  pushAuthenticated: boolean,
): string | undefined {
  const parts = [localCaPem, pushAuthenticated ? pushedCaPem : undefined].filter(
    (part): part is string => part !== undefined && part.trim() !== "",
  );
  if (parts.length === 0) return undefined;
  // A single bundle is kept byte for byte (it is what ca.crt will hold); several are joined on line boundaries.
  return parts.map((part, i) => (i < parts.length - 1 && !part.endsWith("\n") ? `${part}\n` : part)).join("");
}
