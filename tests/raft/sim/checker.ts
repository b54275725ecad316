/**
 * Safety checks of the randomized simulation, run after every step (and on every persist/apply):
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) pair always names the same entry with the same predecessor term;
 * - leader completeness: every committed entry is in the log of every leader of a later term (the
 *   commit happened in some term no greater than the highest term any node had when we first saw the
 *   entry applied, so only leaders of terms above that bound are checked: a stale leader of an older
 *   term, e.g. a stopped process, may rightly lack it);
 * - state-machine safety: every node has the same state (hash chain) after applying index i;
 * - lease safety: at most one running node holds a valid leader lease at any instant;
 * - persistence before acknowledgement: an acknowledgement never covers entries that are not durable;
 * - each node's assertInvariants().
 */
import { crc32 } from "node:zlib";
import { type Entry, MessageType, type NodeId, type Ready } from "../../../lib/raft/index.ts";
import type { MemoryStorage } from "../../../lib/raft/storage/index.ts";
import type { ClusterObserver, SimCluster } from "./cluster.ts";
import type { HashChainMachine } from "./state-machine.ts";

export class SafetyChecker implements ClusterObserver {
  readonly violations: string[] = [];
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** "index:term" -> "crc(data):type:prevTerm" */
  private readonly entries = new Map<string, string>();
  /** index -> term, state chain after applying it, and a bound on the term it was committed in. */
  private readonly committed = new Map<number, { term: number; chain: number; commitTermBound: number }>();
  private maxCommitted = 0;
  private readonly newlyCommitted: { index: number; commitTermBound: number; term: number }[] = [];
  step = 0;

  constructor(private readonly cluster: SimCluster) {
    cluster.observers.push(this);
  }

  private violate(problem: string): void {
    if (this.violations.length < 20)
      this.violations.push(`step ${this.step} tick ${this.cluster.network.now}: ${problem}`);
  }

  onPersist(id: NodeId, ready: Ready, storage: MemoryStorage): void {
    for (const entry of ready.entries) {
      const prevTerm = storage.term(entry.index - 1);
      if (prevTerm === undefined) continue;
      if (prevTerm > entry.term) this.violate(`${id}: log term decreases at ${entry.index}`);
      const key = `${entry.index}:${entry.term}`;
      const value = `${crc32(entry.data)}:${entry.type}:${prevTerm}`;
      const known = this.entries.get(key);
      if (known === undefined) this.entries.set(key, value);
      else if (known !== value) this.violate(`log matching: ${id} holds a different entry at ${key}`);
    }
  }

  onSend(id: NodeId, ready: Ready, storage: MemoryStorage): void {
    for (const message of ready.messages) {
      if (message.type !== MessageType.AppendResponse || message.reject) continue;
      if (message.index > storage.lastIndex()) {
        this.violate(`${id} acknowledged index ${message.index} but only ${storage.lastIndex()} is durable`);
      }
    }
    const hardState = ready.hardState;
    if (hardState !== undefined && hardState.commit > storage.lastIndex()) {
      this.violate(
        `${id} persisted commit ${hardState.commit} beyond its durable log ${storage.lastIndex()}`,
      );
    }
  }

  onApply(id: NodeId, entry: Entry, machine: HashChainMachine): void {
    this.recordState(id, entry.index, entry.term, machine.chain);
  }

  onRestore(id: NodeId, machine: HashChainMachine): void {
    const known = this.committed.get(machine.index);
    if (known !== undefined && known.chain !== machine.chain) {
      this.violate(
        `state machine: ${id} restored a snapshot at ${machine.index} that differs from applied state`,
      );
    }
  }

  private recordState(id: NodeId, index: number, term: number, chain: number): void {
    const known = this.committed.get(index);
    if (known === undefined) {
      const commitTermBound = this.highestTerm();
      this.committed.set(index, { term, chain, commitTermBound });
      this.maxCommitted = Math.max(this.maxCommitted, index);
      this.newlyCommitted.push({ index, term, commitTermBound });
    } else if (known.chain !== chain || known.term !== term) {
      this.violate(`state machine safety: ${id} applied a different entry at ${index}`);
    }
  }

  /** Highest term of any node, running or not (a stopped or crashed node keeps its durable term). */
  private highestTerm(): number {
    let highest = 0;
    for (const simNode of this.cluster.nodes.values()) {
      const term = simNode.node?.status().term ?? simNode.storage.initialState().hardState.term;
      highest = Math.max(highest, term);
    }
    return highest;
  }

  /** Checks made on the whole cluster after each simulation step. */
  checkStep(): void {
    this.step++;
    let leasesHeld: NodeId[] = [];
    for (const simNode of this.cluster.nodes.values()) {
      const node = simNode.node;
      if (node === undefined) continue;
      try {
        node.raft.assertInvariants();
      } catch (error) {
        this.violate(`${simNode.id}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const status = node.status();
      // A stopped process cannot act on its lease; it re-checks it after catching up its ticks.
      if (status.leaseValid && !this.cluster.paused.has(simNode.id)) leasesHeld = [...leasesHeld, simNode.id];
      if (status.role !== "leader") continue;
      const previous = this.leaderOfTerm.get(status.term);
      if (previous === undefined) {
        this.leaderOfTerm.set(status.term, simNode.id);
        this.checkCompleteness(
          simNode.id,
          status.term,
          [...this.committed.entries()].map(([index, c]) => ({ index, ...c })),
        );
      } else if (previous !== simNode.id) {
        this.violate(`election safety: ${previous} and ${simNode.id} both led term ${status.term}`);
      } else if (this.newlyCommitted.length > 0) {
        this.checkCompleteness(simNode.id, status.term, this.newlyCommitted);
      }
    }
    this.newlyCommitted.length = 0;
    if (leasesHeld.length > 1)
      this.violate(`lease safety: ${leasesHeld.join(" and ")} both hold a valid lease`);
  }

  private checkCompleteness(
    id: NodeId,
    leaderTerm: number,
    committed: readonly { index: number; term: number; commitTermBound: number }[],
  ): void {
    const log = this.cluster.node(id).raft.log;
    const floor = log.firstIndex() - 1;
    for (const { index, term, commitTermBound } of committed) {
      if (commitTermBound >= leaderTerm || index < floor) continue;
      if (log.term(index) !== term) {
        this.violate(
          `leader completeness: leader ${id} of term ${leaderTerm} lacks committed ${index}:${term}`,
        );
      }
    }
  }

  get committedCount(): number {
    return this.maxCommitted;
  }

  get termsWithLeader(): number {
    return this.leaderOfTerm.size;
  }
}
