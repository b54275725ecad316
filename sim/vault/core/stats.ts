/**
 * Counters and a request log for tests and chaos scenarios ("no secret_id was minted for role x"). The log holds
 * method, path, status and source address only: never a token, secret_id or body. Minted secret_ids are recorded by
 * accessor, metadata and cidr_list (what the controller asked for), never by value.
 *
 * Leak checks ("no secret ever appears in a log") need the secret values themselves: `onSecretIssued(listener)`
 * hands each token id and secret_id to the listener as it is created. SimStats keeps none of them.
 */
export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  remoteAddress: string;
  wrapped: boolean;
}

/** A minted secret_id as the minting request shaped it: no secret value. */
export interface MintRecord {
  at: number;
  role: string;
  accessor: string;
  metadata: Record<string, string>;
  cidrList: string[];
  numUses: number;
  ttl: number;
}

export type IssuedSecretKind = "token" | "secret-id";
export type SecretIssuedListener = (kind: IssuedSecretKind, value: string) => void;

export class SimStats {
  private readonly mints: MintRecord[] = [];
  private readonly secretListeners = new Set<SecretIssuedListener>();
  readonly requests: RequestRecord[] = [];
  private readonly minted = new Map<string, number>();
  private readonly loginCounts = new Map<string, number>();
  /** The log is capped so a long benchmark cannot grow it without bound. */
  private static readonly MAX_RECORDS = 10_000;

  record(entry: RequestRecord): void {
    this.requests.push(entry);
    if (this.requests.length > SimStats.MAX_RECORDS)
      this.requests.splice(0, this.requests.length - SimStats.MAX_RECORDS);
  }

  /** Returns the stored record, so an observer that learns a field later (the real Vault's audit) can fill it in. */
  countSecretIdMinted(role: string, record?: Omit<MintRecord, "role">): MintRecord | undefined {
    this.minted.set(role, (this.minted.get(role) ?? 0) + 1);
    if (!record) return undefined;
    const stored = { ...record, role };
    this.mints.push(stored);
    if (this.mints.length > SimStats.MAX_RECORDS)
      this.mints.splice(0, this.mints.length - SimStats.MAX_RECORDS);
    return stored;
  }

  /** The most recent minted secret_ids (capped like the request log), optionally of one role. */
  mintedSecretIds(role?: string): MintRecord[] {
    return role === undefined ? [...this.mints] : this.mints.filter((record) => record.role === role);
  }

  /** Calls `listener` with every token id and secret_id created from now on; returns the unsubscribe function. */
  onSecretIssued(listener: SecretIssuedListener): () => void {
    this.secretListeners.add(listener);
    return () => this.secretListeners.delete(listener);
  }

  secretIssued(kind: IssuedSecretKind, value: string): void {
    for (const listener of this.secretListeners) listener(kind, value);
  }

  countLogin(role: string): void {
    this.loginCounts.set(role, (this.loginCounts.get(role) ?? 0) + 1);
  }

  /** secret_ids created for an AppRole role (any approle mount); with no role, the total. */
  secretIdsMinted(role?: string): number {
    if (role !== undefined) return this.minted.get(role) ?? 0;
    return [...this.minted.values()].reduce((a, b) => a + b, 0);
  }

  /** Successful AppRole logins for a role; with no role, the total. */
  logins(role?: string): number {
    if (role !== undefined) return this.loginCounts.get(role) ?? 0;
    return [...this.loginCounts.values()].reduce((a, b) => a + b, 0);
  }
}
