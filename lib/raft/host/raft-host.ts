/**
 * RaftHost: the I/O shell around one RawNode. It ticks the core by monotonic time, feeds it peer messages, and runs
 * the Ready loop in the only safe order (lib/raft/host.ts's handleReady: persist with fsync -> send -> apply ->
 * advance), one Ready at a time.
 *
 * Contract:
 * - `propose(data)` resolves with the state machine's result once the entry is committed AND applied here; it
 *   rejects with ProposalRefusedError when this node is not the leader, or loses leadership before that.
 * - Group commit: a proposal on an idle host enters the log at once; proposals made while a Ready cycle is in
 *   flight (persist, send, apply) wait for it and then enter together, as few entries as BATCH_MAX_BYTES allows
 *   (batch.ts). Either way an entry proposed mid-cycle is persisted by the next cycle, so waiting adds no latency,
 *   and a burst costs one append, fsync and replication round per cycle instead of one per proposal. Every
 *   replica unpacks a batch and applies its commands in order; each proposer gets its own command's result.
 * - `isActing()` is true only while this node leads, holds a valid lease (a quorum heard from it within the lease,
 *   so no other leader can exist) and has applied a no-op of its own term (so its state machine holds everything
 *   ever committed). It catches up missed ticks first, so a process resumed after SIGSTOP answers false at once.
 *   Missed ticks move only the lease clock (Raft.tick): a stalled follower reads the heartbeats that queued up
 *   before its election timer can fire, and a stalled leader is not deposed by its own check-quorum.
 * - `onActingChange` reports every change of isActing(); `onLeaderChange` each new known leader.
 * - Snapshots: every `snapshotEvery` applied entries or commands (a batch counts each of its commands, so the log
 *   between compactions stays as long in bytes as before group commit), the state machine's image is written and
 *   the log compacted.
 * - `transferLeadershipAndStop()` hands leadership (when leading) to a reachable, up-to-date voter, the next one if
 *   that one does not take over within an election timeout, then stops ticking,
 *   waits for the Ready loop and closes the storage.
 */
import type { Logger } from "../../log/index.ts";
import { handleReady } from "../host.ts";
import type { Message } from "../messages.ts";
import type { RandomSource } from "../random.ts";
import { RawNode, type Status } from "../raw-node.ts";
import type { RaftStorage } from "../storage/storage.ts";
import { type Entry, EntryType, NO_NODE, type NodeId } from "../types.ts";
import { decodeBatch, isBatch, planEntries } from "./batch.ts";
import { RAFT_TIMING, type RaftTiming, SNAPSHOT_EVERY_ENTRIES, TRANSFER_TIMEOUT_MS } from "./defaults.ts";
import { ProposalRefusedError, RaftHostStoppedError } from "./errors.ts";
import { PendingProposals, ProposalQueue } from "./proposals.ts";
import { TickClock } from "./ticker.ts";

/** Catching up this many ticks at once means the process stalled for most of a lease. */
const STALL_WARNING_TICKS = 6;
const STALL_WARNING_INTERVAL_MS = 10_000;

export interface RaftStateMachine<R> {
  /**
   * Applies one proposed command. `index` is the log index of the entry that carried it: with group commit several
   * commands share an entry, so the index orders commands but does not identify one (none of ours relies on it).
   */
  apply(data: Uint8Array, index: number): R;
  snapshot(): Uint8Array;
  /** Replaces the whole state; empty data is the empty state (a new cluster's first snapshot). */
  restore(data: Uint8Array): void;
}

export interface RaftHostOptions<R> {
  id: NodeId;
  /** Voters of a brand-new cluster (used only when the storage is empty). */
  initialVoters: readonly NodeId[];
  storage: RaftStorage;
  stateMachine: RaftStateMachine<R>;
  /** Hands messages to the transport; must not wait for delivery. */
  send(messages: readonly Message[]): void;
  random: RandomSource;
  log: Logger;
  /** Monotonic milliseconds (performance.now in production). */
  now(): number;
  timing?: Partial<RaftTiming>;
  snapshotEvery?: number;
  onActingChange?(acting: boolean, reason: string): void;
  onLeaderChange?(leaderId: NodeId, term: number): void;
  onVotersChange?(voters: readonly NodeId[], learners: readonly NodeId[]): void;
  onCommitLatency?(seconds: number): void;
}

export interface RaftHost<R> {
  readonly id: NodeId;
  start(): void;
  step(message: Message): void;
  propose(data: Uint8Array): Promise<R>;
  isActing(): boolean;
  status(): Status;
  /** The underlying node, for membership changes (proposeConfChange) by the coordination layer. */
  readonly node: RawNode;
  /** Runs the Ready loop soon (after a call on `node`). */
  kick(): void;
  reportUnreachable(peer: NodeId): void;
  reportSnapshotFailed(peer: NodeId): void;
  transferLeadershipAndStop(timeoutMs?: number): Promise<void>;
}

/**
 * Who should lead after us: a voter that answered one of the last two heartbeats (reachable now; one restarted at a
 * new address has not), the most up to date first, so TimeoutNow is not sent into the void. Falls back to any voter.
 */
export function pickTransferee(
  status: Status,
  self: NodeId,
  exclude: ReadonlySet<NodeId>,
  heartbeatTicks: number,
): NodeId | undefined {
  const reachable = (heardTicksAgo: number) => Number(heardTicksAgo <= 2 * heartbeatTicks);
  const candidates = [...status.progress.entries()]
    .filter(([id]) => id !== self && !exclude.has(id) && status.conf.voters.includes(id))
    .sort(
      ([, a], [, b]) =>
        reachable(b.heardTicksAgo) - reachable(a.heardTicksAgo) ||
        b.match - a.match ||
        a.heardTicksAgo - b.heardTicksAgo,
    );
  return candidates[0]?.[0];
}

export function createRaftHost<R>(options: RaftHostOptions<R>): RaftHost<R> {
  const timing = { ...RAFT_TIMING, ...options.timing };
  const snapshotEvery = options.snapshotEvery ?? SNAPSHOT_EVERY_ENTRIES;
  const { storage, stateMachine, log } = options;
  const existing = storage.snapshot();
  if (existing.metadata.index > 0) stateMachine.restore(existing.data);
  const node = new RawNode({
    id: options.id,
    peers: options.initialVoters,
    storage,
    electionTicks: timing.electionTicks,
    heartbeatTicks: timing.heartbeatTicks,
    random: options.random,
    preVote: true,
    checkQuorum: true,
  });
  const clock = new TickClock(timing.tickMs, options.now);
  const pending = new PendingProposals<R>();
  const queued = new ProposalQueue<R>();
  let snapshotIndex = existing.metadata.index;
  let commandsSinceSnapshot = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let looping: Promise<void> | undefined;
  // Leadership bookkeeping, re-evaluated after every input.
  let leaderTerm = 0;
  let noopIndex = Number.POSITIVE_INFINITY;
  let acting = false;
  let knownLeader: NodeId = NO_NODE;
  let votersKey = "";

  /** One error per refused proposer; the leader hint is read once per refusal, not once per proposer of a batch. */
  const refused = (reason: string) => {
    let hint: { leader: string | undefined } | undefined;
    return () => {
      if (hint === undefined) {
        const leader = node.status().leaderId;
        hint = { leader: leader === NO_NODE ? undefined : leader };
      }
      return new ProposalRefusedError(reason, hint.leader);
    };
  };

  const evaluate = (): void => {
    const st = node.status();
    if (st.role === "leader" && leaderTerm !== st.term) {
      // becomeLeader appended the no-op as the last entry of the step that made us leader.
      leaderTerm = st.term;
      noopIndex = st.lastIndex;
    }
    if (st.role !== "leader" || st.term !== leaderTerm) {
      if (pending.size > 0) pending.rejectAll(refused("leadership lost before the entry was applied"));
      if (queued.size > 0) queued.rejectAll(refused("leadership lost before the proposal entered the log"));
      if (st.role !== "leader") leaderTerm = 0;
    }
    const nowActing = !stopped && st.role === "leader" && st.leaseValid && st.applied >= noopIndex;
    if (nowActing !== acting) {
      acting = nowActing;
      const reason = acting
        ? `leader of term ${st.term}`
        : st.role === "leader"
          ? "leader lease lapsed (no quorum heard from recently)"
          : `now ${st.role} in term ${st.term}`;
      options.onActingChange?.(acting, reason);
    }
    if (st.leaderId !== knownLeader) {
      knownLeader = st.leaderId;
      if (knownLeader !== NO_NODE) options.onLeaderChange?.(knownLeader, st.term);
    }
    const key = `${st.conf.voters.join(",")}|${st.conf.learners.join(",")}`;
    if (key !== votersKey) {
      votersKey = key;
      options.onVotersChange?.(st.conf.voters, st.conf.learners);
    }
  };

  let lastStallWarning = Number.NEGATIVE_INFINITY;
  const tickNow = (): void => {
    const due = clock.due();
    if (due >= STALL_WARNING_TICKS && options.now() - lastStallWarning > STALL_WARNING_INTERVAL_MS) {
      // A starved event loop lapses the lease (the leader stops acting) and can cost leadership: say why.
      lastStallWarning = options.now();
      log.warn("raft ticks were late (event loop or process stalled); a leader lease may have lapsed", {
        stalledMs: due * timing.tickMs,
      });
    }
    if (due > 0) {
      node.tick(due - 1);
      evaluate();
      kick();
    }
  };

  /** Proposes everything queued, as few entries as the batch cap allows. */
  const flush = (): void => {
    if (queued.size === 0) return;
    const { commands, waiters } = queued.take();
    for (const planned of planEntries(commands)) {
      const group = waiters.slice(planned.first, planned.first + planned.count);
      const result = node.propose(planned.data);
      if (result.accepted) pending.add(result.index, result.term, group);
      else {
        const hint = result.leaderId === NO_NODE ? undefined : result.leaderId;
        for (const waiter of group) waiter.reject(new ProposalRefusedError(result.reason, hint));
      }
    }
  };

  const applyCommands = (entry: Entry): R[] | Error => {
    if (!isBatch(entry.data)) return [stateMachine.apply(entry.data, entry.index)];
    let commands: Uint8Array[];
    try {
      commands = decodeBatch(entry.data);
    } catch (error) {
      // Every replica decodes the same bytes the same way, so skipping the entry keeps them all equal.
      log.error("raft entry skipped: its batch envelope is malformed", {
        index: entry.index,
        error: error instanceof Error ? error.message : String(error),
      });
      return error instanceof Error ? error : new Error(String(error));
    }
    return commands.map((command) => stateMachine.apply(command, entry.index));
  };

  const applyEntries = (entries: readonly Entry[]): void => {
    for (const entry of entries) {
      if (entry.type !== EntryType.Normal || entry.data.length === 0) continue;
      const results = applyCommands(entry);
      commandsSinceSnapshot += results instanceof Error ? 1 : results.length;
      const started = pending.applied(
        entry.index,
        entry.term,
        results,
        refused("another leader's entry replaced ours"),
      );
      if (started.length === 0 || options.onCommitLatency === undefined) continue;
      const now = options.now();
      for (const at of started) options.onCommitLatency((now - at) / 1000);
    }
  };

  const maybeSnapshot = async (): Promise<void> => {
    const applied = node.status().applied;
    if (applied - snapshotIndex < snapshotEvery && commandsSinceSnapshot < snapshotEvery) return;
    const data = stateMachine.snapshot();
    const conf = node.confStateAt(applied);
    snapshotIndex = applied;
    commandsSinceSnapshot = 0;
    await storage.compact(applied, conf, data);
    log.debug("raft snapshot written, log compacted", { index: applied, bytes: data.byteLength });
  };

  const loop = async (): Promise<void> => {
    try {
      for (;;) {
        // The proposals made while the previous cycle was in flight: one batch for this one.
        if (!stopped) flush();
        const handled = await handleReady(node, storage, {
          send: (messages) => options.send(messages),
          applySnapshot: (snapshot) => {
            stateMachine.restore(snapshot.data);
            snapshotIndex = snapshot.metadata.index;
            commandsSinceSnapshot = 0;
          },
          apply: applyEntries,
        });
        if (!handled) break;
        evaluate();
        await maybeSnapshot();
      }
    } catch (error) {
      // A failed fsync leaves the node unusable (handleReady's contract): stop acting and let the process restart.
      log.error("raft storage failed; this replica stops taking part until restarted", {
        error: error instanceof Error ? error.message : String(error),
      });
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      evaluate();
      pending.rejectAll(() => new RaftHostStoppedError());
      queued.rejectAll(() => new RaftHostStoppedError());
    }
  };

  function kick(): void {
    if (looping !== undefined) return;
    looping = loop().finally(() => {
      looping = undefined;
      if (!stopped && (node.hasReady() || queued.size > 0)) kick();
    });
  }

  return {
    id: options.id,
    node,
    start() {
      if (timer !== undefined) return;
      // One wake-up per tick, timed to its boundary: a fixed interval at half the tick (the first version) woke
      // twice as often for nothing, and wake-ups are most of an idle replica's CPU.
      const onTimer = () => {
        tickNow();
        if (!stopped) timer = setTimeout(onTimer, clock.msUntilNextTick());
      };
      timer = setTimeout(onTimer, clock.msUntilNextTick());
      evaluate();
      kick();
    },
    step(message) {
      if (stopped) return;
      tickNow();
      try {
        node.step(message);
      } catch (error) {
        log.warn("raft message refused", { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      evaluate();
      kick();
    },
    propose(data) {
      if (stopped) return Promise.reject(new RaftHostStoppedError());
      tickNow();
      if (looping !== undefined) {
        // A cycle is in flight: wait for the loop to come round (it proposes the whole queue as one batch). A
        // follower refuses now rather than after the cycle; the core re-checks everything else then.
        if (leaderTerm === 0) return Promise.reject(refused("not the leader")());
        return queued.push(data, options.now());
      }
      const promise = queued.push(data, options.now());
      flush();
      kick();
      return promise;
    },
    isActing() {
      if (!stopped) tickNow();
      evaluate();
      return acting;
    },
    status: () => node.status(),
    kick,
    reportUnreachable(peer) {
      if (stopped) return;
      node.reportUnreachable(peer);
      kick();
    },
    reportSnapshotFailed(peer) {
      if (stopped) return;
      node.reportSnapshot(peer, true);
      kick();
    },
    async transferLeadershipAndStop(timeoutMs = TRANSFER_TIMEOUT_MS) {
      if (stopped) return;
      const until = options.now() + timeoutMs;
      const tried = new Set<NodeId>();
      while (node.status().role === "leader" && options.now() < until) {
        const st = node.status();
        if (st.transferee === NO_NODE) {
          // The previous target did not take over within an election timeout (the core gave up): try the next.
          const target = pickTransferee(st, options.id, tried, timing.heartbeatTicks);
          if (target === undefined) break;
          tried.add(target);
          node.transferLeadership(target);
          evaluate();
          kick();
        }
        await new Promise((resolve) => setTimeout(resolve, timing.tickMs));
      }
      if (tried.size > 0) {
        const st = node.status();
        // Right after the handover the new leader may not have been heard from yet: name the last one asked.
        const asked = [...tried];
        log.info("leadership handed over", {
          to: st.leaderId !== NO_NODE ? st.leaderId : asked[asked.length - 1],
          moved: st.role !== "leader",
          tried: asked,
        });
      }
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      evaluate();
      pending.rejectAll(() => new RaftHostStoppedError());
      queued.rejectAll(() => new RaftHostStoppedError());
      await looping;
      await storage.close();
    },
  };
}
