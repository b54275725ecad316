/**
 * Counters and a request log for tests and chaos scenarios ("no secret_id was minted for role x"). The log holds
 * method, path, status and source address only: never a token, secret_id or body.
 */
export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  remoteAddress: string;
  wrapped: boolean;
}

export class SimStats {
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

  countSecretIdMinted(role: string): void {
    this.minted.set(role, (this.minted.get(role) ?? 0) + 1);
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
