/**
 * Majority quorum maths, pure and allocation-light. A configuration here is a list of voters;
 * learners never appear. An empty configuration has no quorum and commits nothing.
 */
import type { NodeId } from "./types.ts";

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The largest value that at least a quorum of voters has reached (0 when there are no voters). */
export function quorumValue(voters: readonly NodeId[], reached: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const values = voters.map(reached).sort((a, b) => b - a);
  return values[quorumSize(voters.length) - 1] ?? 0;
}

/** Highest log index replicated on a quorum of voters. */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  return quorumValue(voters, matchOf);
}

export type VoteResult = "won" | "lost" | "pending";

/** Missing votes are pending; an election is lost once a quorum can no longer be reached. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return "lost";
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const needed = quorumSize(voters.length);
  if (granted >= needed) return "won";
  if (granted + missing >= needed) return "pending";
  return "lost";
}

export function quorumActive(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  return quorumValue(voters, (id) => (isActive(id) ? 1 : 0)) === 1;
}
