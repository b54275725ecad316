// The issuance ledger: one suite over the in-memory ledger and a ledger whose commands travel as bytes (as under Raft).
import { describe, expect, test } from "bun:test";
import {
  createLedgerStateMachine,
  createMemoryLedger,
  createProposingLedger,
  decodeLedgerCommand,
  decodeLedgerSnapshot,
  encodeLedgerCommand,
  encodeLedgerSnapshot,
  type IssuanceLedger,
  LedgerCodecError,
  LedgerConflictError,
  NotLeaderError,
} from "../../lib/controller/ledger/index.ts";

function byteTravellingLedger(): IssuanceLedger {
  const state = createLedgerStateMachine();
  return createProposingLedger(state, async (command) => {
    await Promise.resolve();
    return state.apply(decodeLedgerCommand(encodeLedgerCommand(command)));
  });
}

const pod = { uid: "uid-1", namespace: "team-a", name: "web-0", role: "web" };

for (const [label, make] of [
  ["memory", createMemoryLedger],
  ["commands as bytes", byteTravellingLedger],
] as const) {
  describe(`ledger (${label})`, () => {
    test("walks issuing -> pushed -> confirmed and records accessors and times", async () => {
      const ledger = make();
      await ledger.beginIssuing({ ...pod, restartCount: 0, at: 1000 });
      expect(ledger.get("uid-1")?.state).toBe("issuing");
      await ledger.markPushed("uid-1", 0, "sid-acc", 1100);
      expect(ledger.get("uid-1")?.state).toBe("pushed");
      await ledger.confirm("uid-1", 0, { tokenAccessor: "tok-acc", secretIdAccessor: "sid-acc" }, 1200);
      expect(ledger.get("uid-1")).toEqual({
        ...pod,
        restartCount: 0,
        generation: 0,
        state: "confirmed",
        tokenAccessor: "tok-acc",
        secretIdAccessor: "sid-acc",
        supersededTokenAccessors: [],
        createdAt: 1000,
        updatedAt: 1200,
        confirmedAt: 1200,
      });
      expect(ledger.list()).toHaveLength(1);
    });

    test("refuses a second issuance for a confirmed restart, allows one for a higher restartCount", async () => {
      const ledger = make();
      await ledger.beginIssuing({ ...pod, restartCount: 0, at: 1 });
      await ledger.confirm("uid-1", 0, { tokenAccessor: "t0", secretIdAccessor: "s0" }, 2);
      await expect(ledger.beginIssuing({ ...pod, restartCount: 0, at: 3 })).rejects.toBeInstanceOf(
        LedgerConflictError,
      );
      const next = await ledger.beginIssuing({ ...pod, restartCount: 1, at: 4 });
      expect(next.state).toBe("issuing");
      expect(next.supersededTokenAccessors).toEqual(["t0"]);
      expect(next.tokenAccessor).toBeUndefined();
      await expect(ledger.beginIssuing({ ...pod, restartCount: 0, at: 5 })).rejects.toBeInstanceOf(
        LedgerConflictError,
      );
    });

    test("a failed attempt may be retried for the same restart; stale writes are refused", async () => {
      const ledger = make();
      await ledger.beginIssuing({ ...pod, restartCount: 2, at: 1 });
      await ledger.markFailed("uid-1", 2, "init answered 503", 2);
      expect(ledger.get("uid-1")?.failureReason).toBe("init answered 503");
      const retry = await ledger.beginIssuing({ ...pod, restartCount: 2, at: 3 });
      expect(retry.createdAt).toBe(1);
      await expect(ledger.markPushed("uid-1", 1, "s", 4)).rejects.toBeInstanceOf(LedgerConflictError);
      await expect(ledger.confirm("other", 0, { secretIdAccessor: "s" }, 4)).rejects.toBeInstanceOf(
        LedgerConflictError,
      );
    });

    test("revoked then forgotten; forget is idempotent", async () => {
      const ledger = make();
      await ledger.beginIssuing({ ...pod, restartCount: 0, at: 1 });
      await ledger.markRevoked("uid-1", 2);
      expect(ledger.get("uid-1")?.state).toBe("revoked");
      await ledger.forget("uid-1", 3);
      await ledger.forget("uid-1", 4);
      expect(ledger.get("uid-1")).toBeUndefined();
      expect(ledger.list()).toEqual([]);
    });

    test("reads are frozen: a reader cannot change the ledger", async () => {
      const ledger = make();
      const entry = await ledger.beginIssuing({ ...pod, restartCount: 0, at: 1 });
      expect(() => Object.assign(entry, { state: "confirmed" })).toThrow(TypeError);
      const read = ledger.get("uid-1")?.supersededTokenAccessors ?? [];
      expect(() => (read as string[]).push("x")).toThrow(TypeError);
      expect(ledger.get("uid-1")?.state).toBe("issuing");
      expect(ledger.get("uid-1")?.supersededTokenAccessors).toEqual([]);
    });
  });
}

describe("ledger codec", () => {
  test("commands and snapshots round-trip through bytes", async () => {
    const command = { op: "confirm", uid: "u", restartCount: 3, secretIdAccessor: "s", at: 9 } as const;
    expect(decodeLedgerCommand(encodeLedgerCommand(command))).toEqual(command);
    for (const sidecar of [
      { op: "beginIssuing", ...pod, restartCount: 1, generation: 2, at: 9 },
      {
        op: "confirm",
        uid: "u",
        restartCount: 1,
        generation: 2,
        mode: "sidecar",
        tokenExpiresAt: 19,
        tokenTtlSeconds: 10,
        tokenRenewable: true,
        at: 9,
      },
      {
        op: "markFailed",
        uid: "u",
        restartCount: 1,
        generation: 2,
        reason: "r",
        secretIdAccessor: "s",
        at: 9,
      },
      { op: "renewed", uid: "u", restartCount: 1, generation: 2, tokenExpiresAt: 29, at: 19 },
    ] as const)
      expect(decodeLedgerCommand(encodeLedgerCommand(sidecar))).toEqual(sidecar);
    const ledger = createMemoryLedger();
    await ledger.beginIssuing({ ...pod, restartCount: 0, at: 1 });
    const restored = createLedgerStateMachine();
    restored.restore(decodeLedgerSnapshot(encodeLedgerSnapshot(ledger.list())));
    expect(restored.list()).toEqual(ledger.list());
  });

  test("an older controller's log and snapshot replay: markPushed applies, entries decode as generation 0", () => {
    const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const state = createLedgerStateMachine();
    const oldLog = [
      { op: "beginIssuing", ...pod, restartCount: 0, at: 1 },
      { op: "markPushed", uid: "uid-1", restartCount: 0, secretIdAccessor: "sid-old", at: 2 },
    ];
    for (const body of oldLog)
      expect(state.apply(decodeLedgerCommand(bytes({ version: 1, body }))).ok).toBe(true);
    expect(state.get("uid-1")).toMatchObject({ state: "pushed", generation: 0, secretIdAccessor: "sid-old" });
    const confirmed = decodeLedgerCommand(
      bytes({
        version: 1,
        body: { op: "confirm", uid: "uid-1", restartCount: 0, tokenAccessor: "t", at: 3 },
      }),
    );
    expect(state.apply(confirmed).ok).toBe(true);
    const oldSnapshot = {
      version: 1,
      body: [
        {
          ...pod,
          restartCount: 2,
          state: "confirmed",
          tokenAccessor: "t",
          supersededTokenAccessors: ["t0"],
          createdAt: 1,
          updatedAt: 2,
          confirmedAt: 2,
        },
      ],
    };
    const [entry] = decodeLedgerSnapshot(bytes(oldSnapshot));
    expect(entry).toMatchObject({ generation: 0, state: "confirmed", restartCount: 2 });
    expect(entry?.mode).toBeUndefined();
    const restored = createLedgerStateMachine();
    restored.restore(entry ? [entry] : []);
    // An old entry is init mode: no re-issue over it, the restart rule as before.
    expect(restored.apply({ op: "beginIssuing", ...pod, restartCount: 2, generation: 1, at: 5 }).ok).toBe(
      false,
    );
    expect(restored.apply({ op: "beginIssuing", ...pod, restartCount: 3, at: 5 }).ok).toBe(true);
  });

  test("bad bytes are refused with the field and the problem named", () => {
    const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    expect(() => decodeLedgerCommand(new Uint8Array([0xff, 0xfe]))).toThrow(LedgerCodecError);
    expect(() => decodeLedgerCommand(bytes({ version: 1, body: { op: "forget", uid: "", at: 1 } }))).toThrow(
      /field body\.uid must be a non-empty pod UID/,
    );
    expect(() =>
      decodeLedgerCommand(
        bytes({
          version: 1,
          body: { op: "markPushed", uid: "u", restartCount: -1, secretIdAccessor: "s", at: 1 },
        }),
      ),
    ).toThrow(/restartCount must be a restart count >= 0/);
    expect(() => decodeLedgerCommand(bytes({ version: 2, body: { op: "forget", uid: "u", at: 1 } }))).toThrow(
      /field version is a ledger format this controller does not know/,
    );
    expect(() => decodeLedgerSnapshot(bytes({ version: 1, body: [{ uid: "u" }] }))).toThrow(LedgerCodecError);
  });

  test("a commit path that is not the leader rejects writes with NotLeaderError", async () => {
    const state = createLedgerStateMachine();
    const ledger = createProposingLedger(state, () => Promise.reject(new NotLeaderError("10.0.0.2")));
    await expect(ledger.beginIssuing({ ...pod, restartCount: 0, at: 1 })).rejects.toThrow(
      "this controller is not the leader (the leader is 10.0.0.2)",
    );
    expect(state.get("uid-1")).toBeUndefined();
  });
});
