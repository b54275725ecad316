/**
 * The Raft state machine: deterministic, no I/O, no clock, no randomness except config.random.
 * Input: tick() and step(message). Output: `messages` to send, plus the log's unstable tail and
 * committed index, which RawNode packages into a Ready.
 * Term rules (§5.1, pre-vote and the leader lease of thesis §9.6) are applied once, in step(), before the
 * message reaches the role's step function; roles are swapped by becomeFollower/PreCandidate/Candidate/Leader.
 */
import { applyConfChange, type ConfChange, decodeConfChange } from "./conf-change.ts";
import { ConfHistory } from "./conf-history.ts";
import { type RaftConfig, type ResolvedConfig, resolveConfig } from "./config.ts";
import { handleVoteRequest, hup } from "./election.ts";
import { RaftLog } from "./log/raft-log.ts";
import { CAMPAIGN_TRANSFER, type Message, type MessageInit, MessageType, message } from "./messages.ts";
import { bcastAppend } from "./replication.ts";
import { stepCandidate, stepFollower, tickElection } from "./step-follower.ts";
import { stepLeader, tickHeartbeat } from "./step-leader.ts";
import { ProgressTracker } from "./tracker.ts";
import { type ConfState, EntryType, NO_NODE, type NodeId, type Snapshot } from "./types.ts";

export type Role = "follower" | "preCandidate" | "candidate" | "leader";
export type CampaignKind = "preElection" | "election" | "transfer";

/** Role behaviour, installed by the become* methods. */
export interface RoleHandlers {
  step(raft: Raft, m: Message): void;
  tick(raft: Raft): void;
}

const ROLE_HANDLERS: Record<Role, RoleHandlers> = {
  follower: { step: stepFollower, tick: tickElection },
  preCandidate: { step: stepCandidate, tick: tickElection },
  candidate: { step: stepCandidate, tick: tickElection },
  leader: { step: stepLeader, tick: tickHeartbeat },
};

export class Raft {
  readonly config: ResolvedConfig;
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NO_NODE;
  lead: NodeId = NO_NODE;
  role: Role = "follower";
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  /** Outgoing messages, taken by RawNode.ready(); they leave only after the Ready is persisted. */
  messages: Message[] = [];
  /** Ticks since boot: the leader lease is measured on this clock. */
  ticks = 0;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId = NO_NODE;
  /** This leader sent TimeoutNow: the transferee may win without waiting for leases, so ours is void
   * for the rest of the term (the message may arrive arbitrarily late). */
  handedOver = false;
  /** Index of the newest configuration-change entry; a new one waits until it is committed. */
  pendingConfIndex = 0;
  /** Committed entries up to this index have had their configuration changes applied. */
  private confScannedIndex: number;
  /** Membership after each change, so the host can snapshot at any applied index. */
  private readonly confHistory: ConfHistory;
  private handlers: RoleHandlers;

  constructor(options: RaftConfig) {
    this.handlers = ROLE_HANDLERS.follower;
    this.config = resolveConfig(options);
    this.id = this.config.id;
    const storage = this.config.storage;
    const { hardState, confState } = storage.initialState();
    this.log = new RaftLog(storage, this.config.applied);
    this.log.onDiscard = (index) => this.withdrawAcknowledgements(index);
    let conf = confState;
    let term = hardState.term;
    const empty =
      storage.lastIndex() === 0 && storage.snapshot().metadata.index === 0 && hardState.term === 0;
    if (empty && this.config.peers.length > 0) {
      // First boot: membership lives in a snapshot at index 1, so a member added later learns the
      // initial voters from the snapshot the leader sends it (the log never held them).
      conf = { voters: [...this.config.peers], learners: [...this.config.learners] };
      this.log.restore({ metadata: { index: 1, term: 1, confState: conf }, data: new Uint8Array(0) });
      term = 1;
    }
    this.tracker = new ProgressTracker(conf, this.config.maxInflight);
    const snapshotIndex = this.log.firstIndex() - 1;
    this.confScannedIndex = snapshotIndex;
    this.confHistory = new ConfHistory(snapshotIndex, conf);
    this.becomeFollower(term, NO_NODE);
    this.vote = hardState.term === term ? hardState.vote : NO_NODE;
    this.applyCommittedConfChanges();
  }

  // ---- roles ----

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.setRole("follower");
  }

  becomePreCandidate(): void {
    // Pre-vote changes neither the term nor the vote: a failed pre-election leaves no trace.
    this.tracker.resetVotes();
    this.lead = NO_NODE;
    this.setRole("preCandidate");
  }

  becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.setRole("candidate");
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.setRole("leader");
    this.tracker.get(this.id)?.becomeReplicate();
    // The no-op commits the entries of earlier terms (§5.4.2) and, until committed, blocks
    // configuration changes (the single-server change fix from the thesis errata).
    this.pendingConfIndex = this.log.lastIndex() + 1;
    this.appendEntries([{ type: EntryType.Normal, data: new Uint8Array(0) }]);
  }

  private setRole(role: Role): void {
    this.role = role;
    this.handlers = ROLE_HANDLERS[role];
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.config.electionTicks + Math.floor(this.config.random.next() * this.config.electionTicks);
    this.leadTransferee = NO_NODE;
    this.handedOver = false;
    this.pendingConfIndex = 0;
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.log.lastIndex() + 1, this.id, this.stableLastIndex());
  }

  /** Last index the host has made durable (entries beyond it sit in the unstable tail). */
  stableLastIndex(): number {
    if (this.log.unstable.snapshot !== undefined) return 0;
    return this.log.unstable.offset - 1;
  }

  promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  // ---- input ----

  /**
   * One tick of timers. `missed` ticks passed while the process was stalled: they count on the lease clock (`ticks`)
   * only, so a stalled leader's lease still ends on real time, but not on the election and heartbeat timers. A
   * stall teaches nothing about the peers: counting it would make a follower campaign, and a leader fail its
   * check-quorum, before reading the messages that queued up meanwhile (Go's time.Ticker under etcd drops late ticks
   * the same way). Slower timers only lengthen a follower's promise not to vote, the safe direction for the lease.
   */
  tick(missed = 0): void {
    this.ticks += 1 + Math.max(0, missed);
    this.handlers.tick(this);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      // Leader lease: while a follower believes its leader is alive it refuses to help depose it,
      // unless that leader itself asked (TimeoutNow). It also ignores a higher term carried by
      // anything but a leader's message: adopting it would forget the leader and free its vote.
      // Without this a leader could not trust its lease. (Ignoring a message is like losing it.)
      const fromLeader =
        m.type === MessageType.Append ||
        m.type === MessageType.Heartbeat ||
        m.type === MessageType.InstallSnapshot;
      if (!fromLeader && m.context !== CAMPAIGN_TRANSFER && this.role !== "leader" && this.inLease()) return;
      if (
        (m.type === MessageType.Vote || m.type === MessageType.PreVote) &&
        m.context !== CAMPAIGN_TRANSFER
      ) {
        if (this.inLease()) return;
      }
      if (m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResponse && !m.reject)) {
        // A pre-vote never changes terms; a granted pre-vote response carries the future term.
      } else if (
        m.type === MessageType.Append ||
        m.type === MessageType.Heartbeat ||
        m.type === MessageType.InstallSnapshot
      ) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term !== 0 && m.term < this.term) {
      if (m.type === MessageType.Append || m.type === MessageType.Heartbeat) {
        // A stale leader (e.g. after a partition) learns the new term from our response and steps
        // down; with check-quorum and pre-vote it would otherwise never hear of it.
        this.send({ type: MessageType.AppendResponse, to: m.from });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResponse, to: m.from, reject: true });
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        if (this.role !== "leader") hup(this, this.config.preVote ? "preElection" : "election");
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        handleVoteRequest(this, m);
        return;
      default:
        this.handlers.step(this, m);
    }
  }

  /** Followers in contact with a leader (or just booted, not knowing) refuse to elect another. */
  inLease(): boolean {
    if (!this.config.checkQuorum) return false;
    const bootGuard = this.ticks < this.config.electionTicks;
    return bootGuard || (this.lead !== NO_NODE && this.electionElapsed < this.config.electionTicks);
  }

  // ---- output helpers used by the role modules ----

  /**
   * Entries from `index` on were replaced before they reached the disk, so queued acknowledgements
   * covering them would be lies once sent: a leader of the older term could count them toward a commit.
   * Dropping a message is always safe (the network may lose it anyway).
   */
  private withdrawAcknowledgements(index: number): void {
    this.messages = this.messages.filter(
      (m) => !(m.type === MessageType.AppendResponse && !m.reject && m.index >= index),
    );
  }

  send(init: MessageInit): void {
    this.messages.push(message({ term: this.term, ...init, from: this.id }));
  }

  appendEntries(entries: readonly { type: EntryType; data: Uint8Array }[]): number {
    let index = this.log.lastIndex();
    const stamped = entries.map((entry) => ({
      term: this.term,
      index: ++index,
      type: entry.type,
      data: entry.data,
    }));
    return this.log.append(stamped);
  }

  /** Commits what a quorum holds (own term only) and tells followers; loops because a committed
   * configuration change can change the quorum. */
  maybeCommit(): boolean {
    let advanced = false;
    while (this.role === "leader" && this.log.maybeCommit(this.tracker.committed(), this.term)) {
      advanced = true;
      this.applyCommittedConfChanges();
    }
    if (advanced && this.role === "leader") bcastAppend(this);
    return advanced;
  }

  // ---- membership ----

  /** Applies the configuration changes of newly committed entries (changes take effect on commit). */
  applyCommittedConfChanges(): void {
    while (this.confScannedIndex < this.log.committed) {
      const hi = Math.min(this.log.committed, this.confScannedIndex + 256);
      for (const entry of this.log.slice(this.confScannedIndex + 1, hi + 1)) {
        if (entry.type === EntryType.ConfChange)
          this.applyConfChange(entry.index, decodeConfChange(entry.data));
      }
      this.confScannedIndex = hi;
    }
  }

  private applyConfChange(index: number, change: ConfChange): void {
    const conf = applyConfChange(this.tracker.conf, change);
    this.confHistory.record(index, conf);
    this.tracker.setConf(conf, this.log.lastIndex() + 1);
    if (this.role !== "leader") return;
    if (this.leadTransferee !== NO_NODE && !this.tracker.isVoter(this.leadTransferee))
      this.leadTransferee = NO_NODE;
    if (!this.tracker.isVoter(this.id)) {
      // Removed leader: tell the others the change is committed, then step aside.
      bcastAppend(this);
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  /** Membership in effect once `index` is applied (for snapshots taken by the host). */
  confStateAt(index: number): ConfState {
    return this.confHistory.at(index);
  }

  pruneConfHistory(): void {
    this.confHistory.prune(this.log.firstIndex() - 1);
  }

  /** Follower side of InstallSnapshot; returns true if the snapshot replaced our log. */
  restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We already hold this prefix: just learn that it is committed.
      this.log.commitTo(index);
      this.applyCommittedConfChanges();
      return false;
    }
    this.log.restore(snapshot);
    this.tracker.setConf(confState, this.log.lastIndex() + 1);
    this.confHistory.reset(index, confState);
    this.confScannedIndex = index;
    return true;
  }

  // ---- lease ----

  /**
   * True while this leader may act alone (push tokens): a quorum of voters acknowledged a message sent
   * less than leaseTicks ago. Those voters refuse to elect anyone else for electionTicks after receiving
   * it, so no other leader can exist before this lease runs out.
   */
  isLeaseValid(): boolean {
    if (this.role !== "leader" || this.leadTransferee !== NO_NODE || this.handedOver) return false;
    return this.ticks - this.tracker.quorumLeaseAck(this.id, this.ticks) < this.config.leaseTicks;
  }

  assertInvariants(): void {
    this.log.assertInvariants();
    if (this.role === "leader" && this.lead !== this.id) throw new Error("raft: leader does not lead itself");
    if (this.vote !== NO_NODE && this.term === 0) throw new Error("raft: voted in term 0");
  }
}
