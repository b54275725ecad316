/**
 * RawNode wraps the Raft state machine for a host. THE HOST'S LOOP, in this order:
 *   1. rd = node.ready()                      (only when node.hasReady())
 *   2. persist: await storage.save({snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState})
 *   3. send rd.messages                       (never before step 2: they may acknowledge those entries)
 *   4. apply rd.snapshot (restore the state machine) then rd.committedEntries, in order
 *      (skip Normal entries with empty data: they are the leaders' no-ops; ConfChange entries are
 *      already applied to the membership by Raft and are informational for the host)
 *   5. node.advance()
 * tick() and step() may be called between ready() and advance(); a new ready() needs advance() first.
 */
import type { ConfChange } from "./conf-change.ts";
import { confChangeProblem, encodeConfChange } from "./conf-change.ts";
import type { RaftConfig } from "./config.ts";
import { isLocalMessage, type Message, MessageType, message } from "./messages.ts";
import type { ProgressState } from "./progress.ts";
import { Raft, type Role } from "./raft.ts";
import { bcastAppend } from "./replication.ts";
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  hardStateEquals,
  NO_NODE,
  type NodeId,
  type Snapshot,
} from "./types.ts";

export interface Ready {
  /** Present only when changed since the last Ready. */
  readonly hardState?: HardState;
  /** Entries to persist; they replace any stored suffix from their first index. */
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
}

export type ProposeResult =
  | { readonly accepted: true; readonly index: number; readonly term: number }
  | { readonly accepted: false; readonly reason: string; readonly leaderId: NodeId };

export interface FollowerStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  /** Ticks since the newest message this follower acknowledged was sent (Infinity: none yet): reachable now? */
  readonly heardTicksAgo: number;
}

export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly leaderId: NodeId;
  readonly role: Role;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly leaseValid: boolean;
  readonly conf: ConfState;
  /** Leader only: replication state of every member. */
  readonly progress: ReadonlyMap<NodeId, FollowerStatus>;
  /** Leader only: the voter a leadership transfer is under way to, or NO_NODE. */
  readonly transferee: NodeId;
}

export class RawNode {
  readonly raft: Raft;
  private persistedHardState: HardState;
  private inFlight: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.persistedHardState = config.storage.initialState().hardState;
  }

  /** Advances the timers one tick; `missed` ticks lost to a stall advance only the lease clock (see Raft.tick). */
  tick(missed = 0): void {
    this.raft.tick(missed);
  }

  /** Feeds a message received from a peer. Local message types are refused: use the methods below. */
  step(m: Message): void {
    if (isLocalMessage(m.type))
      throw new Error(`raft: message type ${m.type} is local and cannot come from a peer`);
    if (m.to !== this.raft.id) throw new Error(`raft: message for ${m.to} delivered to ${this.raft.id}`);
    this.raft.step(m);
  }

  campaign(): void {
    this.raft.step(message({ type: MessageType.Hup, from: this.raft.id, to: this.raft.id }));
  }

  propose(data: Uint8Array): ProposeResult {
    const refusal = this.leaderRefusal();
    if (refusal !== undefined) return refusal;
    return this.appendAndSend(EntryType.Normal, data);
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    const refusal = this.leaderRefusal();
    if (refusal !== undefined) return refusal;
    const raft = this.raft;
    const refuse = (reason: string): ProposeResult => ({ accepted: false, reason, leaderId: raft.lead });
    if (raft.pendingConfIndex > raft.log.committed) {
      return refuse("a configuration change is already in progress; retry once it commits");
    }
    const problem = confChangeProblem(raft.tracker.conf, change);
    if (problem !== undefined) return refuse(problem);
    if (change.type === "promote") {
      const match = raft.tracker.get(change.nodeId)?.match ?? 0;
      if (match < raft.log.committed) {
        return refuse(
          `learner ${change.nodeId} has not caught up (match ${match} < commit ${raft.log.committed})`,
        );
      }
    }
    const result = this.appendAndSend(EntryType.ConfChange, encodeConfChange(change));
    if (result.accepted) raft.pendingConfIndex = result.index;
    return result;
  }

  /** Asks the leader to hand leadership to `to` (graceful shutdown). No-op on followers. */
  transferLeadership(to: NodeId): void {
    if (this.raft.role !== "leader") return;
    this.raft.step(message({ type: MessageType.TransferLeader, from: to, to: this.raft.id }));
  }

  reportSnapshot(to: NodeId, failed: boolean): void {
    this.raft.step(message({ type: MessageType.SnapshotStatus, from: to, to: this.raft.id, reject: failed }));
  }

  reportUnreachable(to: NodeId): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: to, to: this.raft.id }));
  }

  hasReady(): boolean {
    if (this.inFlight !== undefined) return false;
    const log = this.raft.log;
    return (
      !hardStateEquals(this.hardState(), this.persistedHardState) ||
      log.unstable.entries.length > 0 ||
      log.unstable.snapshot !== undefined ||
      this.raft.messages.length > 0 ||
      log.hasNextCommittedEntries()
    );
  }

  ready(): Ready {
    if (this.inFlight !== undefined) throw new Error("raft: ready() called again before advance()");
    const raft = this.raft;
    const hardState = this.hardState();
    const snapshot = raft.log.unstable.snapshot;
    const rd: Ready = {
      ...(hardStateEquals(hardState, this.persistedHardState) ? {} : { hardState }),
      entries: [...raft.log.unstable.entries],
      ...(snapshot === undefined ? {} : { snapshot }),
      messages: raft.messages,
      committedEntries: raft.log.nextCommittedEntries(),
    };
    raft.messages = [];
    this.inFlight = rd;
    return rd;
  }

  /** The host has persisted, sent and applied the last Ready. */
  advance(): void {
    const rd = this.inFlight;
    if (rd === undefined) throw new Error("raft: advance() without a pending ready()");
    this.inFlight = undefined;
    const raft = this.raft;
    if (rd.hardState !== undefined) this.persistedHardState = rd.hardState;
    if (rd.snapshot !== undefined) {
      raft.log.stableSnapshotTo(rd.snapshot.metadata.index);
      raft.log.applied = Math.max(raft.log.applied, rd.snapshot.metadata.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) {
      raft.log.stableTo(lastEntry.index, lastEntry.term);
      this.selfAcknowledge(lastEntry);
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) raft.log.appliedTo(lastApplied.index);
    raft.pruneConfHistory();
  }

  /** Membership once `index` is applied: pass it to RaftStorage.compact() with the state-machine image. */
  confStateAt(index: number): ConfState {
    return this.raft.confStateAt(index);
  }

  status(): Status {
    const raft = this.raft;
    const progress = new Map<NodeId, FollowerStatus>();
    if (raft.role === "leader") {
      for (const [id, p] of raft.tracker.progress)
        progress.set(id, {
          match: p.match,
          next: p.next,
          state: p.state,
          heardTicksAgo: raft.ticks - p.leaseAck,
        });
    }
    return {
      id: raft.id,
      term: raft.term,
      vote: raft.vote,
      leaderId: raft.lead,
      role: raft.role,
      commit: raft.log.committed,
      applied: raft.log.applied,
      lastIndex: raft.log.lastIndex(),
      leaseValid: raft.isLeaseValid(),
      conf: raft.tracker.conf,
      progress,
      transferee: raft.role === "leader" ? raft.leadTransferee : NO_NODE,
    };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  /** The leader counts its own copy toward a quorum only once it is durable. */
  private selfAcknowledge(lastEntry: Entry): void {
    const raft = this.raft;
    if (raft.role !== "leader" || raft.log.term(lastEntry.index) !== lastEntry.term) return;
    raft.tracker.get(raft.id)?.maybeUpdate(lastEntry.index);
    raft.maybeCommit();
  }

  private leaderRefusal(): ProposeResult | undefined {
    const raft = this.raft;
    if (raft.role !== "leader") return { accepted: false, reason: "not the leader", leaderId: raft.lead };
    if (raft.leadTransferee !== NO_NODE) {
      return { accepted: false, reason: "leadership transfer in progress", leaderId: raft.lead };
    }
    return undefined;
  }

  private appendAndSend(type: EntryType, data: Uint8Array): ProposeResult {
    const raft = this.raft;
    const index = raft.appendEntries([{ type, data }]);
    bcastAppend(raft);
    return { accepted: true, index, term: raft.term };
  }
}
