/**
 * Raft messages. The numbers of MessageType are protocol (they travel on the wire between controllers):
 * the table is append-only, never renumber or reuse a value.
 * "Local" types never leave a node; the host injects them (or the core raises them itself).
 */
import type { Entry, NodeId, Snapshot } from "./types.ts";

export const MessageType = {
  /** Local: start an election (pre-vote first when enabled). */
  Hup: 1,
  /** Local: the leader should broadcast heartbeats. */
  Beat: 2,
  /** Local: the leader checks it heard from a quorum during the last election timeout. */
  CheckQuorum: 3,
  Append: 4,
  AppendResponse: 5,
  Vote: 6,
  VoteResponse: 7,
  PreVote: 8,
  PreVoteResponse: 9,
  InstallSnapshot: 10,
  Heartbeat: 11,
  HeartbeatResponse: 12,
  /** Local on the leader: hand leadership to `from`. */
  TransferLeader: 13,
  /** Leader → transferee: campaign now, ignoring the election timer and the voters' leases. */
  TimeoutNow: 14,
  /** Local on the leader: the host reports whether a snapshot reached `from`. */
  SnapshotStatus: 15,
  /** Local on the leader: the host could not reach `from`. */
  Unreachable: 16,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const NAMES = new Map<number, string>(Object.entries(MessageType).map(([name, value]) => [value, name]));

export function messageTypeName(type: MessageType): string {
  return NAMES.get(type) ?? `Unknown(${type})`;
}

/** Marks a Vote sent because of TimeoutNow: voters then ignore their leader lease. */
export const CAMPAIGN_TRANSFER = 1;

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  /** Sender's term; 0 for local messages. */
  readonly term: number;
  /** Append: term of the entry at `index`. Reject: term of the entry at `rejectHint`. Vote: last log term. */
  readonly logTerm: number;
  /** Append: index preceding `entries`. AppendResponse: last matching index (or the rejected index). Vote: last log index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** Rejecting follower's guess at the last index that may match (fast back-off). */
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  /**
   * Append/Heartbeat: the leader's tick counter when sent, echoed in the response so the leader can
   * date its lease from the send time. Vote: CAMPAIGN_TRANSFER or 0.
   */
  readonly context: number;
}

export type MessageInit = Pick<Message, "type" | "to"> & Partial<Omit<Message, "type" | "to">>;

/** Fills the defaults so that every message has every field (simpler codecs and assertions). */
export function message(init: MessageInit): Message {
  return {
    from: "",
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: 0,
    ...init,
  };
}

export function isLocalMessage(type: MessageType): boolean {
  return (
    type === MessageType.Hup ||
    type === MessageType.Beat ||
    type === MessageType.CheckQuorum ||
    type === MessageType.TransferLeader ||
    type === MessageType.SnapshotStatus ||
    type === MessageType.Unreachable
  );
}

export function isResponseMessage(type: MessageType): boolean {
  return (
    type === MessageType.AppendResponse ||
    type === MessageType.VoteResponse ||
    type === MessageType.PreVoteResponse ||
    type === MessageType.HeartbeatResponse
  );
}
