/**
 * The leader's and candidate's bookkeeping about the other members: the current configuration,
 * one Progress per member (voters and learners, including this node) and the votes of an election.
 */
import { Progress } from "./progress.ts";
import { committedIndex, quorumActive, quorumValue, type VoteResult, voteResult } from "./quorum.ts";
import type { ConfState, NodeId } from "./types.ts";

export class ProgressTracker {
  conf: ConfState;
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  constructor(
    conf: ConfState,
    private readonly maxInflight: number,
  ) {
    this.conf = conf;
    this.syncProgress(1);
  }

  members(): NodeId[] {
    return [...this.conf.voters, ...this.conf.learners];
  }

  isVoter(id: NodeId): boolean {
    return this.conf.voters.includes(id);
  }

  isMember(id: NodeId): boolean {
    return this.isVoter(id) || this.conf.learners.includes(id);
  }

  get(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  /** Switches to `conf`, keeping the progress of members that stay. */
  setConf(conf: ConfState, nextIndex: number): void {
    this.conf = conf;
    this.syncProgress(nextIndex);
  }

  resetProgress(nextIndex: number, selfId: NodeId, selfMatch: number): void {
    this.progress.clear();
    this.syncProgress(nextIndex);
    const self = this.progress.get(selfId);
    if (self !== undefined) {
      self.match = selfMatch;
      self.next = Math.max(self.next, selfMatch + 1);
    }
  }

  committed(): number {
    return committedIndex(this.conf.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  quorumActive(selfId: NodeId): boolean {
    return quorumActive(
      this.conf.voters,
      (id) => id === selfId || (this.progress.get(id)?.recentActive ?? false),
    );
  }

  /** Newest leader tick that a quorum of voters has acknowledged (this node counts as `now`). */
  quorumLeaseAck(selfId: NodeId, now: number): number {
    return quorumValue(this.conf.voters, (id) =>
      id === selfId ? now : (this.progress.get(id)?.leaseAck ?? Number.NEGATIVE_INFINITY),
    );
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tally(): VoteResult {
    return voteResult(this.conf.voters, this.votes);
  }

  private syncProgress(nextIndex: number): void {
    const members = new Set(this.members());
    for (const id of this.progress.keys()) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      if (!this.progress.has(id)) this.progress.set(id, new Progress(nextIndex, this.maxInflight));
    }
  }
}
