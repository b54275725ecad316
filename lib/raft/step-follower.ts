/**
 * Follower, pre-candidate and candidate behaviour: accepting the leader's log (with fast back-off
 * hints on mismatch), heartbeats and snapshots, counting votes, and the election timer.
 * Every acknowledgement produced here is queued in raft.messages and therefore leaves only after
 * the Ready that holds the acknowledged entries has been persisted.
 */

import { hup, winElection } from "./election.ts";
import { type Message, MessageType, message } from "./messages.ts";
import type { Raft } from "./raft.ts";

export function tickElection(raft: Raft): void {
  raft.electionElapsed++;
  if (raft.promotable() && raft.electionElapsed >= raft.randomizedElectionTimeout) {
    raft.electionElapsed = 0;
    raft.step(message({ type: MessageType.Hup, from: raft.id, to: raft.id }));
  }
}

export function stepFollower(raft: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Append:
      heardFromLeader(raft, m);
      handleAppend(raft, m);
      return;
    case MessageType.Heartbeat:
      heardFromLeader(raft, m);
      handleHeartbeat(raft, m);
      return;
    case MessageType.InstallSnapshot:
      heardFromLeader(raft, m);
      handleSnapshot(raft, m);
      return;
    case MessageType.TimeoutNow:
      // The leader handed over: campaign at once, skipping pre-vote, and tell voters to ignore their lease.
      hup(raft, "transfer");
      return;
    default:
      return;
  }
}

export function stepCandidate(raft: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Append:
    case MessageType.Heartbeat:
    case MessageType.InstallSnapshot:
      // A leader exists for this term: give up the candidacy.
      raft.becomeFollower(m.term, m.from);
      stepFollower(raft, m);
      return;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse: {
      const expected = raft.role === "preCandidate" ? MessageType.PreVoteResponse : MessageType.VoteResponse;
      if (m.type !== expected) return;
      raft.tracker.recordVote(m.from, !m.reject);
      const result = raft.tracker.tally();
      if (result === "won") winElection(raft, raft.role === "preCandidate" ? "preElection" : "election");
      else if (result === "lost") raft.becomeFollower(raft.term, "");
      return;
    }
    default:
      return;
  }
}

function heardFromLeader(raft: Raft, m: Message): void {
  raft.electionElapsed = 0;
  raft.lead = m.from;
}

function handleAppend(raft: Raft, m: Message): void {
  const log = raft.log;
  if (m.index < log.committed) {
    raft.send({ type: MessageType.AppendResponse, to: m.from, index: log.committed, context: m.context });
    return;
  }
  const lastNewIndex = log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNewIndex !== undefined) {
    raft.applyCommittedConfChanges();
    raft.send({ type: MessageType.AppendResponse, to: m.from, index: lastNewIndex, context: m.context });
    return;
  }
  // Fast back-off: point the leader at the last entry that could match, skipping whole terms that
  // cannot (every entry above the hint has a term newer than m.logTerm).
  const hintIndex = log.findConflictByTerm(Math.min(m.index, log.lastIndex()), m.logTerm);
  raft.send({
    type: MessageType.AppendResponse,
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hintIndex,
    logTerm: log.term(hintIndex) ?? 0,
    context: m.context,
  });
}

function handleHeartbeat(raft: Raft, m: Message): void {
  // The leader sends min(our match, its commit), so this never passes our log.
  raft.log.commitTo(m.commit);
  raft.applyCommittedConfChanges();
  raft.send({ type: MessageType.HeartbeatResponse, to: m.from, context: m.context });
}

function handleSnapshot(raft: Raft, m: Message): void {
  if (m.snapshot === undefined) return;
  const index = raft.restore(m.snapshot) ? raft.log.lastIndex() : raft.log.committed;
  raft.send({ type: MessageType.AppendResponse, to: m.from, index, context: m.context });
}
