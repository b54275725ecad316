/** Why a proposal did not go through: this node is not (or no longer) the leader. Carries the leader hint. */
export class ProposalRefusedError extends Error {
  constructor(
    reason: string,
    readonly leaderHint: string | undefined,
  ) {
    super(`raft: proposal refused: ${reason}`);
    this.name = "ProposalRefusedError";
  }
}

export class RaftHostStoppedError extends Error {
  constructor() {
    super("raft: the host is stopped");
    this.name = "RaftHostStoppedError";
  }
}
