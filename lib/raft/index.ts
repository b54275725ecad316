/**
 * lib/raft: a pure, deterministic Raft core (etcd-io/raft style) for the controller's issuance ledger.
 * The host creates a node, ticks it on a monotonic clock, steps messages from peers, and runs the
 * Ready loop documented in raw-node.ts: persist -> send -> apply -> advance (host.ts does it).
 * Only node: built-ins are used; storages live in ./storage.
 */
import type { RaftConfig } from "./config.ts";
import { RawNode } from "./raw-node.ts";

export type { ConfChange, ConfChangeType } from "./conf-change.ts";
export { decodeConfChange, encodeConfChange } from "./conf-change.ts";
export type { RaftConfig } from "./config.ts";
export { handleReady, type ReadyHandlers } from "./host.ts";
export { CAMPAIGN_TRANSFER, type Message, MessageType, message, messageTypeName } from "./messages.ts";
export { committedIndex, quorumSize, voteResult } from "./quorum.ts";
export type { Role } from "./raft.ts";
export { createSeededRandom, type RandomSource } from "./random.ts";
export { type FollowerStatus, type ProposeResult, RawNode, type Ready, type Status } from "./raw-node.ts";
export {
  CorruptFileError,
  FileStorage,
  type FileStorageOptions,
  type InitialState,
  MemoryStorage,
  type PersistUpdate,
  type RaftStorage,
  type Storage,
} from "./storage/index.ts";
export * from "./types.ts";
export { decodeMessages, encodeMessages, WIRE_VERSION } from "./wire.ts";

/** A Raft node; see RawNode for the methods (tick, step, propose, proposeConfChange, campaign,
 * transferLeadership, hasReady, ready, advance, status, confStateAt). */
export type RaftNode = RawNode;

export function createNode(config: RaftConfig): RaftNode {
  return new RawNode(config);
}
