/**
 * The issuance ledger: what the controller remembers about each pod it serves, keyed by pod UID.
 *
 * Contract:
 * - Reads (`get`, `list`) answer from the locally applied state, synchronously.
 * - Writes are commands committed asynchronously. In single-replica mode they apply at once; under Raft they are
 *   replicated first and may reject with `NotLeaderError`. A command the state machine refuses (a stale or
 *   impossible transition) rejects with `LedgerConflictError`, so two racing writers cannot both issue.
 * - No secret ever enters the ledger: only accessors, which can revoke but not use a token.
 */

export type IssuanceState = "issuing" | "pushed" | "confirmed" | "failed" | "revoked";

export interface IssuanceEntry {
  uid: string;
  namespace: string;
  name: string;
  role: string;
  /** The init container's restartCount this issuance serves: each restart deserves a fresh secret_id. */
  restartCount: number;
  state: IssuanceState;
  tokenAccessor?: string;
  secretIdAccessor?: string;
  /** Tokens delivered to earlier runs of the init container; revoked with the pod. */
  supersededTokenAccessors: string[];
  failureReason?: string;
  createdAt: number;
  updatedAt: number;
  confirmedAt?: number;
}

export interface BeginIssuing {
  uid: string;
  namespace: string;
  name: string;
  role: string;
  restartCount: number;
  at: number;
}

export type LedgerCommand =
  | ({ op: "beginIssuing" } & BeginIssuing)
  | { op: "markPushed"; uid: string; restartCount: number; secretIdAccessor?: string; at: number }
  | {
      op: "confirm";
      uid: string;
      restartCount: number;
      /** Absent when the init does not log in (RETRIEVE_TOKEN=false) or already held credentials. */
      tokenAccessor?: string;
      secretIdAccessor?: string;
      at: number;
    }
  | { op: "markFailed"; uid: string; restartCount: number; reason: string; at: number }
  | { op: "markRevoked"; uid: string; at: number }
  | { op: "forget"; uid: string; at: number };

export interface IssuedAccessors {
  tokenAccessor?: string;
  secretIdAccessor?: string;
}

export type ApplyOutcome = { ok: true; entry: IssuanceEntry | undefined } | { ok: false; reason: string };

export class NotLeaderError extends Error {
  constructor(readonly leaderHint?: string) {
    super(`this controller is not the leader${leaderHint ? ` (the leader is ${leaderHint})` : ""}`);
    this.name = "NotLeaderError";
  }
}

export class LedgerConflictError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "LedgerConflictError";
  }
}

export interface IssuanceLedger {
  get(uid: string): IssuanceEntry | undefined;
  list(): IssuanceEntry[];
  beginIssuing(input: BeginIssuing): Promise<IssuanceEntry>;
  markPushed(
    uid: string,
    restartCount: number,
    secretIdAccessor: string | undefined,
    at: number,
  ): Promise<void>;
  confirm(uid: string, restartCount: number, accessors: IssuedAccessors, at: number): Promise<void>;
  markFailed(uid: string, restartCount: number, reason: string, at: number): Promise<void>;
  markRevoked(uid: string, at: number): Promise<void>;
  forget(uid: string, at: number): Promise<void>;
}
