/**
 * Coordination by Raft: the issuance ledger is a replicated state machine and only the Raft leader acts.
 *
 * - The ledger: lib/controller's state machine, fed by committed entries (encodeLedgerCommand bytes); writes go
 *   through the leader's `propose`, which resolves with the state machine's outcome once committed and applied here.
 * - The leader gate: true only while the RaftHost is "acting" (leader, valid lease, no-op of its term applied, so it
 *   knows every issuance ever committed). Every question to the gate first catches up missed ticks, so a leader
 *   resumed after a pause answers false before it can push.
 * - Bootstrap: `initialVoters` (default: the directory's members at start, sorted by name, right for RAFT_PEERS);
 *   discovery passes [self] or [] (discovery-coordination.ts). Later changes of the directory are applied by the
 *   leader one server at a time (membership.ts). `bootstrapAlone()` re-creates an untouched joiner as a lone voter.
 * - Storage: FileStorage in RAFT_DIR (fsync before any acknowledgement); snapshots every SNAPSHOT_EVERY_ENTRIES.
 * - Transport: raft-transport.ts, on RAFT_PORT at POD_IP.
 * - stop(): hand leadership to the most up-to-date voter, then stop the node, the listener and the storage.
 */
import type { ControllerConfig } from "../config/index.ts";
import {
  type ApplyOutcome,
  type CertificateKeeper,
  createLeadershipState,
  createLedgerStateMachine,
  createProposingLedger,
  decodeLedgerCommand,
  decodeLedgerSnapshot,
  encodeLedgerCommand,
  encodeLedgerSnapshot,
  type LeaderGate,
  NotLeaderError,
  randomSeed,
} from "../controller/index.ts";
import type { Logger } from "../log/index.ts";
import type { ControllerMetricsRecorder } from "../metrics/index.ts";
import {
  createRaftHost,
  ProposalRefusedError,
  type RaftStateMachine,
  type RaftTiming,
} from "../raft/host/index.ts";
import { createSeededRandom, FileStorage } from "../raft/index.ts";
import { createRpcAuthenticator } from "../raft/transport/index.ts";
import type { Coordination } from "./coordination.ts";
import { startMembershipReconciler } from "./membership.ts";
import { startRaftTransport } from "./raft-transport.ts";
import type { PeerDirectory } from "./static-peers.ts";

export interface RaftCoordinationOptions {
  config: Pick<ControllerConfig, "raftDir" | "podName" | "podIp" | "raftPort" | "clusterSecret">;
  peers: PeerDirectory;
  log: Logger;
  metrics: Pick<
    ControllerMetricsRecorder,
    "raftLeaderChanged" | "raftNodes" | "raftRpcRejected" | "raftCommitLatency"
  >;
  certificates?: CertificateKeeper;
  timing?: Partial<RaftTiming>;
  snapshotEvery?: number;
  /**
   * Voters of a brand-new cluster (ignored once RAFT_DIR holds state). Default: the directory's members at start,
   * right for a static list. With discovery, pass [self] on the one replica that bootstraps and [] on the others:
   * the leader then adds them as learners and promotes them (membership.ts).
   */
  initialVoters?: readonly string[];
  /** Every change of the configuration in effect here (committed), e.g. to advertise membership. */
  onConfiguration?(voters: readonly string[], learners: readonly string[]): void;
}

export interface RaftCoordination extends Coordination {
  /** The configuration in effect here; both empty while a joining replica waits to be added. */
  configuration(): { voters: readonly string[]; learners: readonly string[] };
  /**
   * Restart as a one-voter cluster of ourselves, only if Raft never touched our storage (nobody added us, no
   * term seen): the escape of a replica that waited in vain (bootstrap-decision.ts). False when refused.
   */
  bootstrapAlone(): Promise<boolean>;
}

function ledgerStateMachine(
  state: ReturnType<typeof createLedgerStateMachine>,
): RaftStateMachine<ApplyOutcome> {
  return {
    apply(data) {
      try {
        return state.apply(decodeLedgerCommand(data));
      } catch (error) {
        // Every replica decodes the same bytes the same way, so refusing here is deterministic.
        return { ok: false, reason: error instanceof Error ? error.message : String(error) };
      }
    },
    snapshot: () => encodeLedgerSnapshot(state.list()),
    restore: (data) => state.restore(data.length === 0 ? [] : decodeLedgerSnapshot(data)),
  };
}

export async function createRaftCoordination(options: RaftCoordinationOptions): Promise<RaftCoordination> {
  const { config, peers, metrics } = options;
  const log = options.log.child({ part: "raft" });
  const selfId = config.podName;
  let storage = await FileStorage.open({ dir: config.raftDir });
  if (storage.recovery.truncatedTailBytes > 0)
    log.warn("raft log had a torn tail from an interrupted write; truncated", {
      bytes: storage.recovery.truncatedTailBytes,
    });
  const state = createLedgerStateMachine();
  const leadership = createLeadershipState(false);
  const auth = await createRpcAuthenticator({ clusterKey: config.clusterSecret, now: () => Date.now() });
  const initialVoters =
    options.initialVoters ?? [...new Set([selfId, ...peers.members().map((m) => m.name)])].sort();
  let transport: Awaited<ReturnType<typeof startRaftTransport>> | undefined;
  const buildHost = (voters: readonly string[]) =>
    createRaftHost<ApplyOutcome>({
      id: selfId,
      initialVoters: voters,
      storage,
      stateMachine: ledgerStateMachine(state),
      send: (messages) => transport?.send(messages),
      random: createSeededRandom(randomSeed()),
      log,
      now: () => performance.now(),
      ...(options.timing ? { timing: options.timing } : {}),
      ...(options.snapshotEvery ? { snapshotEvery: options.snapshotEvery } : {}),
      onActingChange(acting, reason) {
        log.info(acting ? "leading: this replica now issues secret_ids" : "not leading", {
          reason,
          ledgerEntries: state.list().length,
        });
        leadership.setLeader(acting, reason);
      },
      onLeaderChange(leaderId, term) {
        metrics.raftLeaderChanged();
        log.info("raft leader known", { leader: leaderId, term });
      },
      onVotersChange(voters, learners) {
        metrics.raftNodes(voters.length);
        log.info("raft configuration", { voters, learners });
        options.onConfiguration?.(voters, learners);
      },
      onCommitLatency: (seconds) => metrics.raftCommitLatency(seconds),
    });
  let host = buildHost(initialVoters);
  let membership: ReturnType<typeof startMembershipReconciler> | undefined;
  // Every question first lets the host catch up missed ticks: a paused leader must say no before it pushes.
  const leader: LeaderGate = {
    isLeader: () => host.isActing() && leadership.isLeader(),
    leadershipSignal: () => {
      host.isActing();
      return leadership.leadershipSignal();
    },
    onLeadershipChange: (listener) => leadership.onLeadershipChange(listener),
  };
  const propose = async (command: Parameters<typeof encodeLedgerCommand>[0]) => {
    try {
      return await host.propose(encodeLedgerCommand(command));
    } catch (error) {
      if (error instanceof ProposalRefusedError) throw new NotLeaderError(error.leaderHint);
      throw new NotLeaderError();
    }
  };
  return {
    leader,
    ledger: createProposingLedger(state, propose),
    async start() {
      transport = await startRaftTransport({
        selfId,
        listen: { hostname: config.podIp, port: config.raftPort },
        peers,
        auth,
        ...(options.certificates ? { certificates: options.certificates } : {}),
        log,
        deliver: (messages) => {
          for (const m of messages) host.step(m);
        },
        onUnreachable: (peer) => host.reportUnreachable(peer),
        onSnapshotFailed: (peer) => host.reportSnapshotFailed(peer),
        onRejected: (reason) => metrics.raftRpcRejected(reason),
      });
      host.start();
      membership = startMembershipReconciler({ host, peers, log, now: () => performance.now() });
      log.info("raft started", { id: selfId, listen: transport.url, voters: host.status().conf.voters });
    },
    configuration: () => host.status().conf,
    async bootstrapAlone() {
      const st = host.status();
      if (st.term > 0 || st.lastIndex > 0 || st.conf.voters.length + st.conf.learners.length > 0)
        return false;
      membership?.stop();
      await host.transferLeadershipAndStop();
      storage = await FileStorage.open({ dir: config.raftDir });
      host = buildHost([selfId]);
      host.start();
      membership = startMembershipReconciler({ host, peers, log, now: () => performance.now() });
      log.warn("bootstrapped a new Raft cluster of this replica alone after waiting in vain to be added", {
        id: selfId,
      });
      return true;
    },
    async stop() {
      membership?.stop();
      await host.transferLeadershipAndStop();
      leadership.setLeader(false, "shutting down");
      await transport?.stop();
    },
  };
}
