/**
 * The issuance ledger: what the controller remembers about each pod it serves, keyed by pod UID.
 *
 * Contract:
 * - Reads (`get`, `list`) answer from the locally applied state, synchronously. Entries are frozen: the same object
 *   is handed to every reader (no copy per read), and a reader cannot change the ledger behind Raft's back.
 * - Writes are commands committed asynchronously. In single-replica mode they apply at once; under Raft they are
 *   replicated first and may reject with `NotLeaderError`. A command the state machine refuses (a stale or
 *   impossible transition) rejects with `LedgerConflictError`, so two racing writers cannot both issue.
 * - One issuance per (pod UID, init restartCount, generation). Generation 0 is the first token of a run of the init
 *   container; a native sidecar (mode "sidecar") gets generation 1, 2, ... when its token can no longer be renewed.
 *   Entries and commands written before generations existed decode as generation 0.
 * - No secret ever enters the ledger: only accessors, which can revoke but not use a token.
 * - Why each issuance costs two commits (issuing, then confirmed/failed) and no `pushed` commit: see README.md here.
 */

/** "pushed" is no longer written (see README.md); kept so entries and logs of older controllers still decode. */
export type IssuanceState = "issuing" | "pushed" | "confirmed" | "failed" | "revoked";

/** How the pod's init container runs: "init" exits after its push; "sidecar" keeps renewing and takes re-issues. */
export type InitMode = "init" | "sidecar";

export interface IssuanceEntry {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly role: string;
  /** The init container's restartCount this issuance serves: each restart deserves a fresh secret_id. */
  readonly restartCount: number;
  /** Which issuance of this restart: 0 first, +1 for each re-issue to a sidecar. */
  readonly generation: number;
  readonly state: IssuanceState;
  /** Absent = "init" (every entry from before sidecar mode). */
  readonly mode?: InitMode;
  readonly tokenAccessor?: string;
  readonly secretIdAccessor?: string;
  /**
   * Sidecar mode: when the pod's token expires (ms since the epoch, the leader's clock): the confirmation's
   * relative TTL added to the confirm time, moved on each renewal the sidecar reports.
   */
  readonly tokenExpiresAt?: number;
  /** Sidecar mode: the token's lease in seconds at its confirmation; bounds the re-issue margin for short TTLs. */
  readonly tokenTtlSeconds?: number;
  readonly tokenRenewable?: boolean;
  /**
   * Tokens delivered to earlier runs of the init container, or to earlier generations; revoked with the pod. At most
   * SUPERSEDED_ACCESSORS_KEPT, newest last: a sidecar re-issued every few minutes must not grow its entry forever,
   * and the oldest ones expired long ago.
   */
  readonly supersededTokenAccessors: readonly string[];
  readonly failureReason?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly confirmedAt?: number;
}

export const SUPERSEDED_ACCESSORS_KEPT = 32;

export interface BeginIssuing {
  uid: string;
  namespace: string;
  name: string;
  role: string;
  restartCount: number;
  /** Absent = 0. Above the entry's only to re-issue over a confirmed sidecar entry of the same restart. */
  generation?: number;
  at: number;
}

/** What the init's confirmation told us, as recorded by `confirm`. */
export interface Confirmation {
  /** Absent when the init does not log in (RETRIEVE_TOKEN=false) or already held credentials. */
  tokenAccessor?: string;
  secretIdAccessor?: string;
  /** The generation being confirmed; absent = 0. */
  generation?: number;
  mode?: InitMode;
  tokenExpiresAt?: number;
  tokenTtlSeconds?: number;
  tokenRenewable?: boolean;
}

export type LedgerCommand =
  | ({ op: "beginIssuing" } & BeginIssuing)
  /** No longer proposed (see README.md); still applied when an older log is replayed. */
  | { op: "markPushed"; uid: string; restartCount: number; secretIdAccessor?: string; at: number }
  | ({ op: "confirm"; uid: string; restartCount: number; at: number } & Confirmation)
  | {
      op: "markFailed";
      uid: string;
      restartCount: number;
      generation?: number;
      reason: string;
      /** The secret_id minted for the failed attempt, so a pod deleted before the retry has it destroyed. */
      secretIdAccessor?: string;
      at: number;
    }
  /** A sidecar reported its token renewed: its new expiry. Only for the confirmed current generation. */
  | {
      op: "renewed";
      uid: string;
      restartCount: number;
      generation: number;
      tokenExpiresAt: number;
      at: number;
    }
  | { op: "markRevoked"; uid: string; at: number }
  | { op: "forget"; uid: string; at: number };

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

export interface FailedAttempt {
  generation?: number;
  secretIdAccessor?: string;
}

export interface IssuanceLedger {
  get(uid: string): IssuanceEntry | undefined;
  list(): IssuanceEntry[];
  beginIssuing(input: BeginIssuing): Promise<IssuanceEntry>;
  /** Legacy: the controller no longer commits `pushed` (README.md); kept for tools and tests of the old op. */
  markPushed(
    uid: string,
    restartCount: number,
    secretIdAccessor: string | undefined,
    at: number,
  ): Promise<void>;
  confirm(uid: string, restartCount: number, confirmation: Confirmation, at: number): Promise<void>;
  markFailed(
    uid: string,
    restartCount: number,
    reason: string,
    at: number,
    attempt?: FailedAttempt,
  ): Promise<void>;
  renewed(
    uid: string,
    restartCount: number,
    generation: number,
    tokenExpiresAt: number,
    at: number,
  ): Promise<void>;
  markRevoked(uid: string, at: number): Promise<void>;
  forget(uid: string, at: number): Promise<void>;
}
