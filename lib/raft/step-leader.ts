/**
 * Leader behaviour: heartbeats, check-quorum, processing acknowledgements into Progress and the
 * commit index, retrying lost snapshots, and leadership transfer (TimeoutNow).
 */
import { type Message, MessageType } from "./messages.ts";
import type { Raft } from "./raft.ts";
import { sendAppend } from "./replication.ts";
import { NO_NODE } from "./types.ts";

export function tickHeartbeat(raft: Raft): void {
  raft.heartbeatElapsed++;
  raft.electionElapsed++;
  if (raft.electionElapsed >= raft.config.electionTicks) {
    raft.electionElapsed = 0;
    if (raft.config.checkQuorum) checkQuorum(raft);
    // A transfer that did not finish within an election timeout is abandoned. If TimeoutNow went out,
    // our lease is void, so step down and let a normal election pick a leader with a valid lease.
    if (raft.role === "leader" && raft.handedOver) raft.becomeFollower(raft.term, NO_NODE);
    else if (raft.role === "leader") raft.leadTransferee = NO_NODE;
  }
  if (raft.role !== "leader") return;
  for (const [id, progress] of raft.tracker.progress) {
    if (progress.state === "snapshot" && raft.ticks - progress.snapshotSentAt >= raft.config.electionTicks) {
      // The snapshot (or its answer) was lost: probe again, which resends it if still needed.
      progress.becomeProbe();
      sendAppend(raft, id, true);
    }
  }
  if (raft.heartbeatElapsed >= raft.config.heartbeatTicks) {
    raft.heartbeatElapsed = 0;
    bcastHeartbeat(raft);
  }
}

function checkQuorum(raft: Raft): void {
  const active = raft.tracker.quorumActive(raft.id);
  for (const [id, progress] of raft.tracker.progress) progress.recentActive = id === raft.id;
  if (!active) raft.becomeFollower(raft.term, NO_NODE);
}

function bcastHeartbeat(raft: Raft): void {
  for (const id of raft.tracker.members()) {
    if (id === raft.id) continue;
    const match = raft.tracker.get(id)?.match ?? 0;
    raft.send({
      type: MessageType.Heartbeat,
      to: id,
      commit: Math.min(match, raft.log.committed),
      context: raft.ticks,
    });
  }
}

export function stepLeader(raft: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Beat:
      bcastHeartbeat(raft);
      return;
    case MessageType.CheckQuorum:
      checkQuorum(raft);
      return;
  }
  const progress = raft.tracker.get(m.from);
  if (progress === undefined) return;
  switch (m.type) {
    case MessageType.AppendResponse:
      progress.recentActive = true;
      progress.leaseAck = Math.max(progress.leaseAck, m.context);
      if (m.reject) handleReject(raft, m);
      else handleAck(raft, m);
      return;
    case MessageType.HeartbeatResponse:
      progress.recentActive = true;
      progress.leaseAck = Math.max(progress.leaseAck, m.context);
      progress.probeSent = false;
      if (progress.state === "replicate" && progress.inflights.full()) progress.inflights.freeFirstOne();
      if (progress.match < raft.log.lastIndex()) sendAppend(raft, m.from, true);
      return;
    case MessageType.SnapshotStatus:
      if (progress.state !== "snapshot") return;
      if (m.reject) progress.pendingSnapshot = 0;
      progress.becomeProbe();
      // Wait for the next heartbeat response before probing, as the follower may still be applying it.
      progress.probeSent = true;
      return;
    case MessageType.Unreachable:
      if (progress.state === "replicate") progress.becomeProbe();
      return;
    case MessageType.TransferLeader:
      startTransfer(raft, m.from);
      return;
  }
}

function handleReject(raft: Raft, m: Message): void {
  const progress = raft.tracker.get(m.from);
  if (progress === undefined) return;
  // The follower's hint (index, term) lets us skip every entry of a term it cannot match.
  const nextProbe = m.logTerm > 0 ? raft.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
  if (progress.maybeDecrTo(m.index, nextProbe)) {
    if (progress.state === "replicate") progress.becomeProbe();
    sendAppend(raft, m.from, true);
  }
}

function handleAck(raft: Raft, m: Message): void {
  const progress = raft.tracker.get(m.from);
  if (progress === undefined) return;
  const wasPaused = progress.isPaused();
  if (!progress.maybeUpdate(m.index)) return;
  if (progress.state === "probe") progress.becomeReplicate();
  else if (progress.state === "snapshot" && progress.match >= progress.pendingSnapshot) {
    progress.becomeProbe();
    progress.becomeReplicate();
  } else if (progress.state === "replicate") progress.inflights.freeLE(m.index);

  if (!raft.maybeCommit() && wasPaused) sendAppend(raft, m.from, true);
  if (raft.role !== "leader") return;
  while (sendAppend(raft, m.from, false)) {
    // Keep the pipe full up to the inflight window.
  }
  if (m.from === raft.leadTransferee && progress.match === raft.log.lastIndex()) sendTimeoutNow(raft, m.from);
}

function startTransfer(raft: Raft, transferee: string): void {
  if (!raft.tracker.isVoter(transferee) || transferee === raft.id) return;
  if (raft.leadTransferee === transferee) return;
  raft.leadTransferee = transferee;
  // The transfer must finish within one election timeout (see tickHeartbeat).
  raft.electionElapsed = 0;
  const progress = raft.tracker.get(transferee);
  if (progress !== undefined && progress.match === raft.log.lastIndex()) sendTimeoutNow(raft, transferee);
  else sendAppend(raft, transferee, true);
}

function sendTimeoutNow(raft: Raft, to: string): void {
  raft.handedOver = true;
  raft.send({ type: MessageType.TimeoutNow, to });
}
