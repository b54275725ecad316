// The removal grace of lib/main/membership.ts: measured by the directory when it keeps absences (gossip), so a leader
// elected in the middle of a member's absence removes it when the original grace ends instead of starting it over;
// a directory without absences falls back to the leader's own clock.
import { expect, test } from "bun:test";
import { createLogger } from "../../lib/log/index.ts";
import { type MembershipOptions, startMembershipReconciler } from "../../lib/main/index.ts";
import type { PeerDirectory, PeerMember } from "../../lib/main/static-peers.ts";
import { type ConfChange, NO_NODE, type Status } from "../../lib/raft/index.ts";

const GRACE_MS = 60_000;
const member = (name: string): PeerMember => ({ name, raftAddress: `${name}:1` });

function newLeader(absentForMs?: (name: string) => number | undefined) {
  let now = 1_000_000;
  const proposed: ConfChange[] = [];
  const status: Status = {
    id: "a",
    term: 5,
    vote: "a",
    leaderId: "a",
    role: "leader",
    commit: 9,
    applied: 9,
    lastIndex: 9,
    leaseValid: true,
    conf: { voters: ["a", "b", "c"], learners: [] },
    progress: new Map(),
    transferee: NO_NODE,
  };
  const host: MembershipOptions["host"] = {
    id: "a",
    isActing: () => true,
    status: () => status,
    kick: () => {},
    node: {
      proposeConfChange(change) {
        proposed.push(change);
        return { accepted: true, index: 10, term: 5 };
      },
    },
  };
  // "c" is gone from the directory.
  const peers: PeerDirectory = {
    self: member("a"),
    members: () => [member("a"), member("b")],
    subscribe: () => () => {},
    ...(absentForMs ? { absentForMs } : {}),
  };
  const reconciler = startMembershipReconciler({
    host,
    peers,
    log: createLogger("error"),
    now: () => now,
    graceMs: GRACE_MS,
  });
  return {
    proposed,
    check: () => reconciler.check(),
    advance(ms: number) {
      now += ms;
    },
    stop: () => reconciler.stop(),
  };
}

test("a new leader honours the absence the directory already measured", () => {
  const leader = newLeader((name) => (name === "c" ? GRACE_MS - 5_000 : undefined));
  leader.check();
  expect(leader.proposed).toEqual([]);
  const late = newLeader((name) => (name === "c" ? GRACE_MS + 1 : undefined));
  late.check();
  expect(late.proposed).toEqual([{ type: "remove", nodeId: "c" }]);
  leader.stop();
  late.stop();
});

test("without the directory's measure, the grace runs from when this leader first noticed", () => {
  const leader = newLeader();
  leader.check();
  leader.advance(GRACE_MS - 1);
  leader.check();
  expect(leader.proposed).toEqual([]);
  leader.advance(1);
  leader.check();
  expect(leader.proposed).toEqual([{ type: "remove", nodeId: "c" }]);
  leader.stop();
});
