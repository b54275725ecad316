/**
 * The ledger's deterministic state machine: `apply(command)` is the only way state changes, so every replica that
 * applies the same commands in the same order holds the same ledger (what Raft needs), and the in-memory ledger is
 * the same code with a trivial commit.
 *
 * Transition rules (anything else is refused with a reason, never applied). An absent `generation` is 0.
 * - beginIssuing: for a new UID; for a restartCount above the entry's (the old token is kept for revocation); for
 *   the same restartCount and generation when that attempt did not confirm (issuing/pushed/failed: an interrupted
 *   or failed attempt is retried with a fresh secret_id); or for generation + 1 over a confirmed sidecar entry of
 *   the same restartCount (a re-issue; the old token is kept for revocation). Never over a confirmed or revoked
 *   entry of the same restartCount and generation, never for an older restartCount or generation. This is the
 *   fence that keeps one issuance per (UID, restartCount, generation) across leader changes.
 * - confirm/markFailed: only for the entry's current restartCount and generation, and never after confirmation.
 * - renewed: only for the confirmed current restartCount and generation.
 * - markPushed: no longer proposed (README.md: why no `pushed` commit is needed); still applied to replay old logs.
 * - markRevoked: any entry. forget: always succeeds (idempotent).
 *
 * Entries are frozen when stored, so reads hand out the stored object itself: the controller reads an entry on every
 * reconcile and Raft counts them for status, and a deep copy per read was measurable CPU in a 1,000-pod burst.
 */
import {
  type ApplyOutcome,
  type IssuanceEntry,
  type LedgerCommand,
  SUPERSEDED_ACCESSORS_KEPT,
} from "./types.ts";

export interface LedgerStateMachine {
  apply(command: LedgerCommand): ApplyOutcome;
  get(uid: string): IssuanceEntry | undefined;
  list(): IssuanceEntry[];
  /** Replaces the whole state (a Raft snapshot being installed). */
  restore(entries: readonly IssuanceEntry[]): void;
}

const refuse = (reason: string): ApplyOutcome => ({ ok: false, reason });

const frozen = (entry: IssuanceEntry): IssuanceEntry =>
  Object.freeze({ ...entry, supersededTokenAccessors: Object.freeze([...entry.supersededTokenAccessors]) });

/** The superseded list with `accessor` appended (when there is one), bounded to the newest ones. */
function supersede(previous: IssuanceEntry | undefined, accessor: string | undefined): readonly string[] {
  const list = previous?.supersededTokenAccessors ?? [];
  if (!accessor) return list;
  return [...list, accessor].slice(-SUPERSEDED_ACCESSORS_KEPT);
}

export function createLedgerStateMachine(): LedgerStateMachine {
  const entries = new Map<string, IssuanceEntry>();

  const store = (entry: IssuanceEntry): ApplyOutcome => {
    const stored = frozen(entry);
    entries.set(stored.uid, stored);
    return { ok: true, entry: stored };
  };

  /** The entry an attempt of (restartCount, generation) may still write to, or why not. */
  const current = (uid: string, restartCount: number, generation: number): IssuanceEntry | string => {
    const entry = entries.get(uid);
    if (!entry) return `no issuance is recorded for pod ${uid}`;
    if (entry.restartCount !== restartCount)
      return `pod ${uid} is now at init restart ${entry.restartCount}, not ${restartCount}`;
    if (entry.generation !== generation)
      return `pod ${uid} restart ${restartCount} is now at generation ${entry.generation}, not ${generation}`;
    if (entry.state === "confirmed" || entry.state === "revoked")
      return `pod ${uid} restart ${restartCount} generation ${generation} is already ${entry.state}`;
    return entry;
  };

  const beginIssuing = (command: Extract<LedgerCommand, { op: "beginIssuing" }>): ApplyOutcome => {
    const generation = command.generation ?? 0;
    const previous = entries.get(command.uid);
    const fresh = {
      uid: command.uid,
      namespace: command.namespace,
      name: command.name,
      role: command.role,
      restartCount: command.restartCount,
      generation,
      state: "issuing" as const,
      updatedAt: command.at,
    };
    if (!previous || command.restartCount > previous.restartCount)
      return store({
        ...fresh,
        supersededTokenAccessors: supersede(previous, previous?.tokenAccessor),
        createdAt: command.at,
      });
    const which = `pod ${command.uid} restart ${command.restartCount}`;
    if (command.restartCount < previous.restartCount)
      return refuse(`pod ${command.uid} is already at init restart ${previous.restartCount}`);
    if (previous.state === "revoked") return refuse(`${which} is already revoked`);
    if (generation < previous.generation)
      return refuse(`${which} is already at generation ${previous.generation}`);
    const kept = {
      supersededTokenAccessors: previous.supersededTokenAccessors,
      createdAt: previous.createdAt,
      ...(previous.mode ? { mode: previous.mode } : {}),
    };
    if (generation === previous.generation) {
      if (previous.state === "confirmed")
        return refuse(`${which} generation ${generation} is already confirmed`);
      return store({ ...fresh, ...kept });
    }
    if (
      previous.state !== "confirmed" ||
      previous.mode !== "sidecar" ||
      generation !== previous.generation + 1
    )
      return refuse(
        `${which} cannot move from generation ${previous.generation} (${previous.state}, ${previous.mode ?? "init"} mode) to ${generation}: only a confirmed sidecar is re-issued, one generation at a time`,
      );
    return store({
      ...fresh,
      ...kept,
      supersededTokenAccessors: supersede(previous, previous.tokenAccessor),
    });
  };

  const apply = (command: LedgerCommand): ApplyOutcome => {
    switch (command.op) {
      case "beginIssuing":
        return beginIssuing(command);
      case "markPushed": {
        // Written only by controllers that predate generations, whose entries are all generation 0.
        const entry = current(command.uid, command.restartCount, 0);
        if (typeof entry === "string") return refuse(entry);
        return store({
          ...entry,
          state: "pushed",
          ...(command.secretIdAccessor ? { secretIdAccessor: command.secretIdAccessor } : {}),
          updatedAt: command.at,
        });
      }
      case "markFailed": {
        const entry = current(command.uid, command.restartCount, command.generation ?? 0);
        if (typeof entry === "string") return refuse(entry);
        return store({
          ...entry,
          state: "failed",
          failureReason: command.reason,
          ...(command.secretIdAccessor ? { secretIdAccessor: command.secretIdAccessor } : {}),
          updatedAt: command.at,
        });
      }
      case "confirm": {
        const entry = current(command.uid, command.restartCount, command.generation ?? 0);
        if (typeof entry === "string") return refuse(entry);
        const { failureReason: _cleared, tokenExpiresAt: _old, ...rest } = entry;
        return store({
          ...rest,
          state: "confirmed",
          ...(command.secretIdAccessor ? { secretIdAccessor: command.secretIdAccessor } : {}),
          ...(command.tokenAccessor ? { tokenAccessor: command.tokenAccessor } : {}),
          ...(command.mode ? { mode: command.mode } : {}),
          ...(command.tokenExpiresAt !== undefined ? { tokenExpiresAt: command.tokenExpiresAt } : {}),
          ...(command.tokenTtlSeconds !== undefined ? { tokenTtlSeconds: command.tokenTtlSeconds } : {}),
          ...(command.tokenRenewable !== undefined ? { tokenRenewable: command.tokenRenewable } : {}),
          updatedAt: command.at,
          confirmedAt: command.at,
        });
      }
      case "renewed": {
        const entry = entries.get(command.uid);
        if (
          entry?.state !== "confirmed" ||
          entry.restartCount !== command.restartCount ||
          entry.generation !== command.generation
        )
          return refuse(
            `pod ${command.uid} restart ${command.restartCount} generation ${command.generation} is not the confirmed current issuance`,
          );
        return store({ ...entry, tokenExpiresAt: command.tokenExpiresAt, updatedAt: command.at });
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
    get: (uid) => entries.get(uid),
    list: () => [...entries.values()],
    restore(list) {
      entries.clear();
      for (const entry of list) entries.set(entry.uid, frozen(entry));
    },
  };
}
