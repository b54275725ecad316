// The leader gate: one AbortSignal per term of leadership, change notifications, always-leader mode.
import { expect, test } from "bun:test";
import { alwaysLeader, createLeadershipState } from "../../lib/controller/leader/index.ts";

test("a term's signal aborts when leadership is lost; the next term gets a fresh one", () => {
  const gate = createLeadershipState(false);
  expect(gate.isLeader()).toBe(false);
  expect(gate.leadershipSignal().aborted).toBe(true);
  const changes: boolean[] = [];
  const unsubscribe = gate.onLeadershipChange((leader) => changes.push(leader));
  gate.setLeader(true);
  const term = gate.leadershipSignal();
  expect(term.aborted).toBe(false);
  gate.setLeader(true);
  expect(gate.leadershipSignal()).toBe(term);
  gate.setLeader(false, "check-quorum failed");
  expect(term.aborted).toBe(true);
  expect(String((term.reason as Error).message)).toBe("leadership lost: check-quorum failed");
  gate.setLeader(true);
  expect(gate.leadershipSignal()).not.toBe(term);
  expect(gate.leadershipSignal().aborted).toBe(false);
  unsubscribe();
  gate.setLeader(false);
  expect(changes).toEqual([true, false, true]);
});

test("always-leader mode leads from the start and can be released at shutdown", () => {
  const gate = alwaysLeader();
  expect(gate.isLeader()).toBe(true);
  const signal = gate.leadershipSignal();
  expect(signal.aborted).toBe(false);
  gate.setLeader(false, "shutting down");
  expect(signal.aborted).toBe(true);
});
