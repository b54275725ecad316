/**
 * The ledger's deterministic state machine: `apply(command)` is the only way state changes, so every replica that
 * applies the same commands in the same order holds the same ledger (what Raft needs), and the in-memory ledger is
 * the same code with a trivial commit.
 *
 * Transition rules (anything else is refused with a reason, never applied):
 * - beginIssuing: for a new UID, for a restartCount above the entry's (the old token is kept for revocation), or for
 *   the same restartCount when the previous attempt did not confirm (issuing/pushed/failed: retry with a fresh
 *   secret_id). Never over a confirmed or revoked entry of the same restartCount.
 * - markPushed/markFailed/confirm: only for the entry's current restartCount, and never after confirmation.
 * - markRevoked: any entry. forget: always succeeds (idempotent).
 */
import type { ApplyOutcome, IssuanceEntry, LedgerCommand } from "./types.ts";

export interface LedgerStateMachine {
  apply(command: LedgerCommand): ApplyOutcome;
  get(uid: string): IssuanceEntry | undefined;
  list(): IssuanceEntry[];
  /** Replaces the whole state (a Raft snapshot being installed). */
  restore(entries: IssuanceEntry[]): void;
}

const refuse = (reason: string): ApplyOutcome => ({ ok: false, reason });

export function createLedgerStateMachine(): LedgerStateMachine {
  const entries = new Map<string, IssuanceEntry>();

  const store = (entry: IssuanceEntry): ApplyOutcome => {
    entries.set(entry.uid, entry);
    return { ok: true, entry: structuredClone(entry) };
  };

  const current = (uid: string, restartCount: number): IssuanceEntry | string => {
    const entry = entries.get(uid);
    if (!entry) return `no issuance is recorded for pod ${uid}`;
    if (entry.restartCount !== restartCount)
      return `pod ${uid} is now at init restart ${entry.restartCount}, not ${restartCount}`;
    if (entry.state === "confirmed" || entry.state === "revoked")
      return `pod ${uid} restart ${restartCount} is already ${entry.state}`;
    return entry;
  };

  const apply = (command: LedgerCommand): ApplyOutcome => {
    switch (command.op) {
      case "beginIssuing": {
        const previous = entries.get(command.uid);
        if (previous && command.restartCount < previous.restartCount)
          return refuse(`pod ${command.uid} is already at init restart ${previous.restartCount}`);
        const sameRun = previous?.restartCount === command.restartCount;
        if (previous && sameRun && (previous.state === "confirmed" || previous.state === "revoked"))
          return refuse(`pod ${command.uid} restart ${command.restartCount} is already ${previous.state}`);
        const superseded = [...(previous?.supersededTokenAccessors ?? [])];
        if (previous?.tokenAccessor && !sameRun) superseded.push(previous.tokenAccessor);
        return store({
          uid: command.uid,
          namespace: command.namespace,
          name: command.name,
          role: command.role,
          restartCount: command.restartCount,
          state: "issuing",
          supersededTokenAccessors: superseded,
          createdAt: sameRun && previous ? previous.createdAt : command.at,
          updatedAt: command.at,
        });
      }
      case "markPushed":
      case "markFailed":
      case "confirm": {
        const entry = current(command.uid, command.restartCount);
        if (typeof entry === "string") return refuse(entry);
        if (command.op === "markPushed")
          return store({
            ...entry,
            state: "pushed",
            ...(command.secretIdAccessor ? { secretIdAccessor: command.secretIdAccessor } : {}),
            updatedAt: command.at,
          });
        if (command.op === "markFailed")
          return store({ ...entry, state: "failed", failureReason: command.reason, updatedAt: command.at });
        const { failureReason: _cleared, ...rest } = entry;
        return store({
          ...rest,
          state: "confirmed",
          ...(command.secretIdAccessor ? { secretIdAccessor: command.secretIdAccessor } : {}),
          ...(command.tokenAccessor ? { tokenAccessor: command.tokenAccessor } : {}),
          updatedAt: command.at,
          confirmedAt: command.at,
        });
      }
      case "markRevoked": {
        const entry = entries.get(command.uid);
        if (!entry) return refuse(`no issuance is recorded for pod ${command.uid}`);
        return store({ ...entry, state: "revoked", updatedAt: command.at });
      }
      case "forget":
        entries.delete(command.uid);
        return { ok: true, entry: undefined };
    }
  };

  return {
    apply,
    get: (uid) => {
      const entry = entries.get(uid);
      return entry ? structuredClone(entry) : undefined;
    },
    list: () => [...entries.values()].map((entry) => structuredClone(entry)),
    restore(list) {
      entries.clear();
      for (const entry of list) entries.set(entry.uid, structuredClone(entry));
    },
  };
}
