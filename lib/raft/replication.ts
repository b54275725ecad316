/**
 * The leader's sending side of log replication: Append (or InstallSnapshot when the follower needs
 * compacted entries), shaped by the follower's Progress state and inflight window.
 */
import { MessageType } from "./messages.ts";
import type { Raft } from "./raft.ts";
import type { NodeId } from "./types.ts";

export function bcastAppend(raft: Raft): void {
  for (const id of raft.tracker.members()) if (id !== raft.id) sendAppend(raft, id, true);
}

/** Sends the follower what it lacks; returns false when nothing was sent (paused or nothing new). */
export function sendAppend(raft: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const progress = raft.tracker.get(to);
  if (progress === undefined || progress.isPaused()) return false;
  const prevIndex = progress.next - 1;
  const prevTerm = raft.log.term(prevIndex);
  const entries = raft.log.entriesFrom(progress.next, raft.config.maxEntriesPerAppend);
  if (prevTerm === undefined || entries === undefined) return sendSnapshot(raft, to);
  if (entries.length === 0 && !sendIfEmpty) return false;
  raft.send({
    type: MessageType.Append,
    to,
    index: prevIndex,
    logTerm: prevTerm,
    entries,
    commit: raft.log.committed,
    context: raft.ticks,
  });
  const last = entries[entries.length - 1];
  if (progress.state === "replicate" && last !== undefined) {
    progress.optimisticUpdate(last.index);
    progress.inflights.add(last.index);
  } else if (progress.state === "probe") {
    progress.probeSent = true;
  }
  return true;
}

export function sendSnapshot(raft: Raft, to: NodeId): boolean {
  const progress = raft.tracker.get(to);
  const snapshot = raft.log.snapshot();
  if (progress === undefined || snapshot.metadata.index === 0) return false;
  progress.becomeSnapshot(snapshot.metadata.index, raft.ticks);
  raft.send({ type: MessageType.InstallSnapshot, to, snapshot, context: raft.ticks });
  return true;
}
