/**
 * Single-server membership changes (Raft thesis §4.1), one at a time: the leader refuses a new change
 * until the previous one is committed. A change takes effect on every node when its entry commits.
 * New members join as learners, catch up, then are promoted; removal works on voters and learners.
 * The payload of a ConfChange entry is this module's JSON encoding (Raft owns it, unlike Normal data).
 */
import type { ConfState, NodeId } from "./types.ts";

export type ConfChangeType = "addLearner" | "promote" | "remove";

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

const TYPES: readonly ConfChangeType[] = ["addLearner", "promote", "remove"];

export function encodeConfChange(change: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: change.type, nodeId: change.nodeId }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new Error("raft: ConfChange entry is not JSON (log corrupt or written by another program)");
  }
  if (typeof parsed !== "object" || parsed === null)
    throw new Error("raft: ConfChange entry must be an object");
  const type: unknown = Reflect.get(parsed, "type");
  const nodeId: unknown = Reflect.get(parsed, "nodeId");
  const knownType = TYPES.find((candidate) => candidate === type);
  if (knownType === undefined) throw new Error(`raft: ConfChange.type must be one of ${TYPES.join(", ")}`);
  if (typeof nodeId !== "string" || nodeId === "")
    throw new Error("raft: ConfChange.nodeId must be a non-empty string");
  return { type: knownType, nodeId };
}

/** Why `change` cannot apply to `conf`, or undefined if it can. */
export function confChangeProblem(conf: ConfState, change: ConfChange): string | undefined {
  const isVoter = conf.voters.includes(change.nodeId);
  const isLearner = conf.learners.includes(change.nodeId);
  switch (change.type) {
    case "addLearner":
      return isVoter || isLearner ? `${change.nodeId} is already a member` : undefined;
    case "promote":
      return isLearner ? undefined : `${change.nodeId} is not a learner (add it as a learner first)`;
    case "remove":
      if (!isVoter && !isLearner) return `${change.nodeId} is not a member`;
      return isVoter && conf.voters.length === 1 ? "cannot remove the last voter" : undefined;
  }
}

/** Applies a committed change. Idempotent, because committed changes are replayed after a restart. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== change.nodeId);
  const learners = conf.learners.filter((id) => id !== change.nodeId);
  switch (change.type) {
    case "addLearner":
      if (conf.voters.includes(change.nodeId)) return conf;
      return { voters, learners: [...learners, change.nodeId] };
    case "promote":
      return { voters: [...voters, change.nodeId], learners };
    case "remove":
      return { voters, learners };
  }
}
