/**
 * Options of a Raft node, their defaults and the reasons for them, validated once at construction.
 * Time is counted in ticks; the host decides how long a tick lasts and must tick by elapsed monotonic
 * time (passing the ticks a pause missed to `tick(missed)`), or the leader lease means nothing.
 */
import type { RandomSource } from "./random.ts";
import type { Storage } from "./storage/storage.ts";
import type { NodeId } from "./types.ts";

export interface RaftConfig {
  readonly id: NodeId;
  /** Initial voters, used only when the storage is empty (first boot of a new cluster). Empty to join later. */
  readonly peers?: readonly NodeId[];
  /** Initial learners, same rule as peers. */
  readonly learners?: readonly NodeId[];
  readonly storage: Storage;
  /** A follower campaigns after a random timeout in [electionTicks, 2*electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly random: RandomSource;
  /** Pre-vote (thesis §9.6): a partitioned node rejoining cannot disrupt the leader by bumping terms. */
  readonly preVote?: boolean;
  /** Check-quorum: a leader that has not heard from a quorum for an election timeout steps down. */
  readonly checkQuorum?: boolean;
  /** Leader lease length; must be shorter than electionTicks so a new leader cannot be elected inside it. */
  readonly leaseTicks?: number;
  /** Unacknowledged Append messages per follower in Replicate state. */
  readonly maxInflight?: number;
  readonly maxEntriesPerAppend?: number;
  /** Last index the host's state machine had applied before a restart (0 replays from the snapshot). */
  readonly applied?: number;
}

export interface ResolvedConfig extends Required<Omit<RaftConfig, "peers" | "learners">> {
  readonly peers: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** Leaves 2 ticks of margin for clock-rate differences between the leader and its followers. */
const LEASE_MARGIN_TICKS = 2;
/** Enough to keep a 1 ms loopback pipe busy without unbounded memory on a slow follower. */
const DEFAULT_MAX_INFLIGHT = 256;
/** Bounds one Append message so a lagging follower catches up in steps rather than one huge message. */
const DEFAULT_MAX_ENTRIES_PER_APPEND = 64;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`raft: ${name} must be a positive integer, got ${value}`);
  return value;
}

export function resolveConfig(config: RaftConfig): ResolvedConfig {
  if (config.id === "") throw new Error("raft: id must be a non-empty string");
  const electionTicks = positiveInteger("electionTicks", config.electionTicks);
  const heartbeatTicks = positiveInteger("heartbeatTicks", config.heartbeatTicks);
  if (heartbeatTicks >= electionTicks) {
    throw new Error(
      `raft: heartbeatTicks (${heartbeatTicks}) must be smaller than electionTicks (${electionTicks})`,
    );
  }
  const leaseTicks = positiveInteger(
    "leaseTicks",
    config.leaseTicks ?? Math.max(1, electionTicks - LEASE_MARGIN_TICKS),
  );
  if (leaseTicks >= electionTicks) {
    throw new Error(`raft: leaseTicks (${leaseTicks}) must be smaller than electionTicks (${electionTicks})`);
  }
  const peers = config.peers ?? [];
  const learners = config.learners ?? [];
  if (learners.some((id) => peers.includes(id)))
    throw new Error("raft: a node cannot be both a peer and a learner");
  return {
    id: config.id,
    peers,
    learners,
    storage: config.storage,
    electionTicks,
    heartbeatTicks,
    random: config.random,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    leaseTicks,
    maxInflight: positiveInteger("maxInflight", config.maxInflight ?? DEFAULT_MAX_INFLIGHT),
    maxEntriesPerAppend: positiveInteger(
      "maxEntriesPerAppend",
      config.maxEntriesPerAppend ?? DEFAULT_MAX_ENTRIES_PER_APPEND,
    ),
    applied: config.applied ?? 0,
  };
}
