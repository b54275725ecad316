/**
 * The gossip peer directory: a lib/gossip member named POD_NAME on POD_IP:GOSSIP_PORT (IPv4 or IPv6), advertising
 * `{raft: "<POD_IP>:<RAFT_PORT>"}`, authenticated by CLUSTER_KEY and labelled with the namespace/service so two
 * installations never hear each other. Seeds are the addresses in the EndpointSlices of KUBERNETES_SERVICE,
 * watched for as long as we run (ready, not-ready and terminating addresses, IPv6 included): every change re-joins,
 * so a rolled replica with a new IP is found without anyone stepping in, unlike the original's one-off discovery.
 * Terminating replicas stay seeds because, until they exit, they may be the Raft cluster a new replica must join
 * rather than bootstrap beside (a Recreate rollout, `kubectl delete pods --all`).
 *
 * Contract (PeerDirectory, ./static-peers.ts, plus):
 * - `members()` are the live gossip members (alive or suspect), this one included, sorted by name; a member without
 *   a valid `raft` address in its metadata is not listed; `raftMember` is set when it advertises `member: "1"`
 *   (`advertiseRaftMember`). `subscribe` fires after every change of that list, metadata included.
 * - `listsSelf()`: the EndpointSlices last seen include POD_IP (discovery can see us, so others can find us).
 * - `failedSince(name)`: undefined while `name` is a member; otherwise `now()` of when it failed or left, or of this
 *   directory's start if it was never seen (a replica rolled away before we started) — for a removal grace period;
 *   `absentForMs(name)` is the same as a duration (what the membership reconciler reads).
 * - `settled()` resolves once the EndpointSlices were listed and every address in them that is not terminating is a
 *   live member, or after `settleTimeoutMs`: the view to bootstrap a new Raft cluster from. Terminating ones are
 *   not waited for: one that already left gossip stays in its slice for its whole termination grace period.
 * - Metrics: kubernetes_discovered_nodes (distinct EndpointSlice addresses, terminating ones included, as the
 *   Endpoints of a publishNotReadyAddresses Service listed them), gossip_nodes_{joined,left,failed,reaped}_total and
 *   gossip_packets_dropped_total{reason} (copied from the host's counters every DROP_COPY_INTERVAL_MS).
 * - `stop()` announces our departure (peers see "left", not "failed") and stops watching the EndpointSlices.
 */
import type { ControllerConfig } from "../config/index.ts";
import {
  type Address,
  addressKey,
  clusterLabel,
  createKeyring,
  type GossipNode,
  type MemberEvent,
  type SwimTiming,
  startGossipNode,
} from "../gossip/index.ts";
import { type KubeTransport, watchEndpointSlices } from "../kube/index.ts";
import type { Logger } from "../log/index.ts";
import type { ControllerMetricsRecorder } from "../metrics/index.ts";
import { AbsenceBook, openGossipTransport, peerOf, RAFT_MEMBER_FLAG, seedsFrom } from "./peer-parts.ts";
import type { DiscoveringPeerDirectory, PeerMember } from "./static-peers.ts";

export type PeerMetrics = Pick<
  ControllerMetricsRecorder,
  | "discoveredNodes"
  | "gossipNodeJoined"
  | "gossipNodeLeft"
  | "gossipNodeFailed"
  | "gossipNodeReaped"
  | "gossipPacketsDropped"
>;

export interface GossipPeerDirectoryOptions {
  config: Pick<
    ControllerConfig,
    "podName" | "podIp" | "raftPort" | "gossipPort" | "clusterSecret" | "kubernetes"
  >;
  log: Logger;
  metrics: PeerMetrics;
  kubeTransport: KubeTransport;
  /** Tests shorten the SWIM timers; production uses lib/gossip's defaults. */
  timing?: Partial<SwimTiming>;
  /** Monotonic milliseconds; performance.now by default. */
  now?: () => number;
  settleTimeoutMs?: number;
}

export interface GossipPeerDirectory extends DiscoveringPeerDirectory {
  /** The underlying member, for its counters (drops by reason) and its full member table. */
  readonly gossip: GossipNode;
  /** Seeds last taken from the EndpointSlices. */
  seeds(): Address[];
  failedSince(name: string): number | undefined;
  now(): number;
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** How long our "left" announcement gets to reach the others before the socket closes. */
const LEAVE_GRACE_MS = 500;
/** Replicas of one rollout start within seconds of each other; past this, bootstrap with whoever is there. */
const SETTLE_TIMEOUT_MS = 15_000;
/** Drops are evidence (a rogue, a wrong key), not alarms that need the second they happen. */
const DROP_COPY_INTERVAL_MS = 1_000;
const byName = (a: PeerMember, b: PeerMember) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export async function startGossipPeerDirectory(
  options: GossipPeerDirectoryOptions,
): Promise<GossipPeerDirectory> {
  const { config, metrics } = options;
  const log = options.log.child({ part: "peers" });
  const now = options.now ?? (() => performance.now());
  const book = new AbsenceBook(now());
  const transport = await openGossipTransport({ host: config.podIp, port: config.gossipPort });
  const self: PeerMember = {
    name: config.podName,
    raftAddress: addressKey({ host: config.podIp, port: config.raftPort }),
  };
  const node = startGossipNode({
    name: config.podName,
    transport,
    keyring: await createKeyring([config.clusterSecret]),
    meta: { raft: self.raftAddress },
    label: clusterLabel(config.kubernetes.namespace, config.kubernetes.service),
    logger: options.log.child({ part: "gossip" }),
    ...(options.timing ? { timing: options.timing } : {}),
  });
  const listeners = new Set<() => void>();
  const members = () =>
    node
      .liveMembers()
      .map(peerOf)
      .filter((peer): peer is PeerMember => peer !== undefined)
      .sort(byName);
  let published = JSON.stringify(members());
  const publish = () => {
    const next = JSON.stringify(members());
    if (next === published) return;
    published = next;
    for (const listener of listeners) listener();
  };

  const onEvent = (event: MemberEvent) => {
    const { name } = event.member;
    const fields = { peer: name, gossip: addressKey(event.member.address), raft: event.member.meta.raft };
    if (event.type === "joined") {
      book.present(name);
      metrics.gossipNodeJoined(name);
      log.info("peer joined", fields);
    } else if (event.type === "left" || event.type === "failed") {
      book.gone(name, now());
      if (event.type === "left") metrics.gossipNodeLeft(name);
      else metrics.gossipNodeFailed(name);
      log.info(event.type === "left" ? "peer left" : "peer failed", fields);
    } else if (event.type === "reaped") {
      metrics.gossipNodeReaped(name);
      log.debug("peer forgotten by gossip", fields);
    }
    publish();
  };
  const unsubscribe = node.subscribe(onEvent);

  let seeds: Address[] = [];
  /** The seeds `settled()` waits for: those not terminating. */
  let awaited: Address[] = [];
  let listsSelf = false;
  const endpoints = watchEndpointSlices({
    transport: options.kubeTransport,
    namespace: config.kubernetes.namespace,
    service: config.kubernetes.service,
    log,
  });
  endpoints.onChange((addresses) => {
    metrics.discoveredNodes(new Set(addresses.map((address) => address.ip)).size);
    seeds = seedsFrom(addresses, config.gossipPort, node.address);
    const staying = addresses.filter((address) => !address.terminating);
    awaited = seedsFrom(staying, config.gossipPort, node.address);
    listsSelf = addresses.some((address) => address.ip === config.podIp);
    log.debug("gossip seeds from the EndpointSlices", {
      seeds: seeds.map(addressKey),
      terminating: addresses.filter((address) => address.terminating).map((address) => address.ip),
    });
    node.join(seeds);
  });

  const copied = new Map<string, number>();
  const copyDrops = () => {
    for (const [reason, count] of Object.entries(node.stats().dropped)) {
      const increase = count - (copied.get(reason) ?? 0);
      if (increase > 0) metrics.gossipPacketsDropped(reason, increase);
      copied.set(reason, count);
    }
  };
  const dropTimer = setInterval(copyDrops, DROP_COPY_INTERVAL_MS);
  dropTimer.unref?.();

  const failedSince = (name: string) =>
    book.since(
      name,
      members().some((peer) => peer.name === name),
    );

  const settled = async () => {
    const deadline = now() + (options.settleTimeoutMs ?? SETTLE_TIMEOUT_MS);
    const everySeedLive = () => {
      const live = new Set(node.liveMembers().map((member) => addressKey(member.address)));
      return endpoints.hasSynced() && awaited.every((seed) => live.has(addressKey(seed)));
    };
    while (!everySeedLive() && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  return {
    self,
    gossip: node,
    seeds: () => [...seeds],
    listsSelf: () => listsSelf,
    advertiseRaftMember(member) {
      node.setMeta({ raft: self.raftAddress, ...(member ? { member: RAFT_MEMBER_FLAG } : {}) });
    },
    members,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    failedSince,
    absentForMs(name) {
      const since = failedSince(name);
      return since === undefined ? undefined : now() - since;
    },
    now,
    settled,
    async stop() {
      unsubscribe();
      listeners.clear();
      clearInterval(dropTimer);
      await Promise.all([endpoints.stop(), node.leave(LEAVE_GRACE_MS)]);
    },
  };
}
