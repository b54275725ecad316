/**
 * An IssuanceLedger over any commit path: writes become commands handed to `propose`, which resolves with the
 * state machine's outcome once the command is committed and applied (at once in memory, after replication under
 * Raft). Reads come from the local state machine.
 *
 * Contract: a refused command rejects with LedgerConflictError; `propose` may itself reject (e.g. NotLeaderError).
 */
import { createLedgerStateMachine, type LedgerStateMachine } from "./state-machine.ts";
import {
  type ApplyOutcome,
  type IssuanceEntry,
  type IssuanceLedger,
  type LedgerCommand,
  LedgerConflictError,
} from "./types.ts";

export type Propose = (command: LedgerCommand) => Promise<ApplyOutcome>;

export function createProposingLedger(
  state: Pick<LedgerStateMachine, "get" | "list">,
  propose: Propose,
): IssuanceLedger {
  const commit = async (command: LedgerCommand): Promise<IssuanceEntry | undefined> => {
    const outcome = await propose(command);
    if (!outcome.ok) throw new LedgerConflictError(outcome.reason);
    return outcome.entry;
  };
  return {
    get: (uid) => state.get(uid),
    list: () => state.list(),
    async beginIssuing(input) {
      const entry = await commit({ op: "beginIssuing", ...input });
      if (!entry) throw new LedgerConflictError(`beginIssuing for pod ${input.uid} produced no entry`);
      return entry;
    },
    markPushed: async (uid, restartCount, secretIdAccessor, at) =>
      void (await commit({
        op: "markPushed",
        uid,
        restartCount,
        ...(secretIdAccessor ? { secretIdAccessor } : {}),
        at,
      })),
    confirm: async (uid, restartCount, confirmation, at) =>
      void (await commit({ op: "confirm", uid, restartCount, ...confirmation, at })),
    markFailed: async (uid, restartCount, reason, at, attempt = {}) =>
      void (await commit({ op: "markFailed", uid, restartCount, reason, ...attempt, at })),
    renewed: async (uid, restartCount, generation, tokenExpiresAt, at) =>
      void (await commit({ op: "renewed", uid, restartCount, generation, tokenExpiresAt, at })),
    markRevoked: async (uid, at) => void (await commit({ op: "markRevoked", uid, at })),
    forget: async (uid, at) => void (await commit({ op: "forget", uid, at })),
  };
}

/** Single-replica mode: commands apply immediately to a private state machine. */
export function createMemoryLedger(): IssuanceLedger {
  const state = createLedgerStateMachine();
  return createProposingLedger(state, async (command) => state.apply(command));
}
