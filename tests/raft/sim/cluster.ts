/**
 * A whole Raft cluster in one process: RawNodes over MemoryStorage on a SimNetwork, each driven by
 * the host loop of lib/raft/raw-node.ts (persist -> send -> apply -> advance). Crashes discard the
 * RawNode and anything not yet persisted (optionally after persisting only a prefix of a Ready, like an
 * interrupted, never-fsync'd write); restarts rebuild the node from its storage.
 * Observers see every persisted Ready and every applied entry (the safety checker is one).
 */
import {
  type ConfChange,
  createNode,
  createSeededRandom,
  type Entry,
  type Message,
  type NodeId,
  type ProposeResult,
  type RawNode,
  type Ready,
} from "../../../lib/raft/index.ts";
import { MemoryStorage } from "../../../lib/raft/storage/index.ts";
import { SimNetwork, type SimRandom } from "./network.ts";
import { HashChainMachine } from "./state-machine.ts";

export interface ClusterOptions {
  /** Initial voters; they bootstrap the cluster. */
  readonly voters: readonly NodeId[];
  readonly seed: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly maxEntriesPerAppend?: number;
  readonly maxInflight?: number;
  /** Snapshot and compact a node's storage once this many applied entries sit in its log (0: never). */
  readonly compactAfter?: number;
}

export interface ClusterObserver {
  onPersist?(id: NodeId, ready: Ready, storage: MemoryStorage): void;
  onApply?(id: NodeId, entry: Entry, machine: HashChainMachine): void;
  onRestore?(id: NodeId, machine: HashChainMachine): void;
  onSend?(id: NodeId, ready: Ready, storage: MemoryStorage): void;
}

export class SimNode {
  node: RawNode | undefined;
  readonly storage = new MemoryStorage();
  machine = new HashChainMachine();
  boots = 0;

  constructor(
    readonly id: NodeId,
    /** Bootstrap voters ([] for a node that joins later). */
    readonly peers: readonly NodeId[],
  ) {}

  get up(): boolean {
    return this.node !== undefined;
  }
}

export class SimCluster {
  readonly random: SimRandom;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly observers: ClusterObserver[] = [];
  readonly electionTicks: number;
  /** Nodes whose host is stuck in a write: they receive messages, but their Ready is not processed. */
  readonly stalled = new Set<NodeId>();
  /** Clock rate per node (ticks per simulated tick, default 1): models drift between machines. */
  readonly clockRates = new Map<NodeId, number>();
  private readonly clockDebt = new Map<NodeId, number>();
  /** Nodes whose process is stopped (SIGSTOP): no ticks, no Ready loop, messages wait in an inbox. */
  readonly paused = new Map<NodeId, { readonly since: number; readonly inbox: Message[] }>();

  constructor(readonly options: ClusterOptions) {
    this.random = createSeededRandom(options.seed);
    this.network = new SimNetwork(this.random);
    this.electionTicks = options.electionTicks ?? 10;
    for (const id of options.voters) this.addNode(id, options.voters);
  }

  /** Starts a node; a node with no peers joins an existing cluster once a leader adds it. */
  addNode(id: NodeId, peers: readonly NodeId[] = []): SimNode {
    if (this.nodes.has(id)) throw new Error(`sim: node ${id} already exists`);
    const simNode = new SimNode(id, peers);
    this.nodes.set(id, simNode);
    this.boot(simNode);
    return simNode;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  get(id: NodeId): SimNode {
    const simNode = this.nodes.get(id);
    if (simNode === undefined) throw new Error(`sim: no node ${id}`);
    return simNode;
  }

  node(id: NodeId): RawNode {
    const node = this.get(id).node;
    if (node === undefined) throw new Error(`sim: node ${id} is down`);
    return node;
  }

  /** Loses everything not persisted. With `persistPrefix`, the pending Ready is half-written first. */
  crash(id: NodeId, persistPrefix = false): void {
    const simNode = this.get(id);
    const node = simNode.node;
    if (node === undefined) return;
    if (persistPrefix && node.hasReady()) {
      const rd = node.ready();
      const kept = this.random.int(rd.entries.length + 1);
      // The write was interrupted: no fsync returned, so nothing was sent and the hard state is old.
      simNode.storage.applyUpdate({ snapshot: rd.snapshot, entries: rd.entries.slice(0, kept) });
    }
    simNode.node = undefined;
    this.paused.delete(id);
  }

  restart(id: NodeId): void {
    const simNode = this.get(id);
    if (simNode.up) return;
    this.boot(simNode);
  }

  private boot(simNode: SimNode): void {
    simNode.boots++;
    simNode.machine = new HashChainMachine();
    const snapshot = simNode.storage.snapshot();
    if (snapshot.metadata.index > 0) {
      simNode.machine.restore(snapshot);
      for (const observer of this.observers) observer.onRestore?.(simNode.id, simNode.machine);
    }
    simNode.node = createNode({
      id: simNode.id,
      peers: simNode.peers,
      storage: simNode.storage,
      electionTicks: this.electionTicks,
      heartbeatTicks: this.options.heartbeatTicks ?? 2,
      random: createSeededRandom(this.random.int(2 ** 31)),
      preVote: this.options.preVote ?? true,
      checkQuorum: this.options.checkQuorum ?? true,
      maxEntriesPerAppend: this.options.maxEntriesPerAppend ?? 16,
      maxInflight: this.options.maxInflight ?? 8,
    });
  }

  pause(id: NodeId): void {
    if (this.get(id).up && !this.paused.has(id)) this.paused.set(id, { since: this.network.now, inbox: [] });
  }

  /**
   * SIGCONT: the host first catches up the ticks it missed (it ticks by elapsed monotonic time, as
   * lib/raft requires, passing them as `missed`), so a stale lease has expired before it handles anything that
   * arrived meanwhile, while its election and heartbeat timers advance by one tick only.
   */
  resume(id: NodeId): void {
    const pause = this.paused.get(id);
    if (pause === undefined) return;
    this.paused.delete(id);
    const node = this.get(id).node;
    const missed = this.network.now - pause.since;
    if (missed > 0) node?.tick(missed - 1);
    for (const message of pause.inbox) this.deliver(message);
    this.stabilize();
  }

  /** One simulated tick for every live node (or `only`), then delivery until quiet. */
  tick(only?: readonly NodeId[]): void {
    this.network.now++;
    for (const simNode of this.nodes.values()) {
      if (only !== undefined && !only.includes(simNode.id)) continue;
      if (this.paused.has(simNode.id)) continue;
      const debt = (this.clockDebt.get(simNode.id) ?? 0) + (this.clockRates.get(simNode.id) ?? 1);
      let owed = Math.floor(debt);
      this.clockDebt.set(simNode.id, debt - owed);
      while (owed-- > 0) simNode.node?.tick();
    }
    this.stabilize();
  }

  ticks(count: number): void {
    for (let i = 0; i < count; i++) this.tick();
  }

  /** Runs Ready loops and delivers due messages until nothing changes. */
  stabilize(maxRounds = 100_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const simNode of this.nodes.values()) {
        const node = simNode.node;
        if (!this.stalled.has(simNode.id) && !this.paused.has(simNode.id) && node?.hasReady()) {
          this.handleReady(simNode, node);
          busy = true;
        }
      }
      for (const message of this.network.takeDue()) {
        busy = true;
        this.deliver(message);
      }
      if (!busy) return;
    }
    throw new Error(`sim: no quiescence after ${maxRounds} rounds (message storm?)`);
  }

  deliver(message: Message): void {
    const pause = this.paused.get(message.to);
    if (pause !== undefined) pause.inbox.push(message);
    else this.nodes.get(message.to)?.node?.step(message);
  }

  private handleReady(simNode: SimNode, node: RawNode): void {
    const rd = node.ready();
    // 1. persist
    simNode.storage.applyUpdate({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    for (const observer of this.observers) observer.onPersist?.(simNode.id, rd, simNode.storage);
    // 2. send
    for (const observer of this.observers) observer.onSend?.(simNode.id, rd, simNode.storage);
    for (const message of rd.messages) this.network.send(message);
    // 3. apply
    if (rd.snapshot !== undefined) {
      simNode.machine.restore(rd.snapshot);
      for (const observer of this.observers) observer.onRestore?.(simNode.id, simNode.machine);
    }
    for (const entry of rd.committedEntries) {
      simNode.machine.apply(entry);
      for (const observer of this.observers) observer.onApply?.(simNode.id, entry, simNode.machine);
    }
    // 4. advance
    node.advance();
    this.maybeCompact(simNode, node);
  }

  private maybeCompact(simNode: SimNode, node: RawNode): void {
    const threshold = this.options.compactAfter ?? 0;
    const applied = simNode.machine.index;
    if (threshold === 0 || applied - simNode.storage.firstIndex() < threshold) return;
    if (applied > simNode.storage.lastIndex()) return;
    simNode.storage.compactInMemory(applied, node.confStateAt(applied), simNode.machine.snapshotData());
  }

  // ---- conveniences for tests ----

  leaders(): NodeId[] {
    return this.ids().filter((id) => this.get(id).node?.status().role === "leader");
  }

  /** The running (not stopped) leader with the highest term, if any. */
  leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const id of this.leaders()) {
      if (this.paused.has(id)) continue;
      const term = this.node(id).status().term;
      if (best === undefined || term > best.term) best = { id, term };
    }
    return best?.id;
  }

  /** Ticks until some node leads, or throws after `maxTicks`. */
  electLeader(maxTicks = 50 * this.electionTicks): NodeId {
    for (let i = 0; i < maxTicks; i++) {
      const leader = this.leader();
      if (leader !== undefined) return leader;
      this.tick();
    }
    throw new Error(`sim: no leader after ${maxTicks} ticks`);
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, value: string): ProposeResult {
    const result = this.node(id).propose(new TextEncoder().encode(value));
    this.stabilize();
    return result;
  }

  proposeConfChange(id: NodeId, change: ConfChange): ProposeResult {
    const result = this.node(id).proposeConfChange(change);
    this.stabilize();
    return result;
  }

  values(id: NodeId): readonly string[] {
    return this.get(id).machine.values;
  }
}
