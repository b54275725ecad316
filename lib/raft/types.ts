/**
 * Raft data types shared by the core, the storages and the hosts.
 * Contract: plain immutable-by-convention records; `data` of an entry is opaque to Raft except for
 * configuration-change entries, whose payload Raft encodes itself (see conf-change.ts).
 */

/** Node identifiers are opaque non-empty strings; the empty string means "nobody". */
export type NodeId = string;
export const NO_NODE: NodeId = "";

/** Entry types are protocol: numbers are append-only. */
export const EntryType = {
  /** Host command (or the leader's empty no-op when `data` is empty). */
  Normal: 0,
  /** Single-server membership change, encoded by conf-change.ts. */
  ConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** The state that must be durable before any message produced alongside it leaves the node. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NO_NODE, commit: 0 };

/** Membership: voters decide elections and commits, learners only receive the log. Disjoint sets. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A state-machine image covering every entry up to and including `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
  data: new Uint8Array(0),
};

export function isEmptySnapshot(snapshot: Snapshot | undefined): boolean {
  return snapshot === undefined || snapshot.metadata.index === 0;
}

export function hardStateEquals(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
