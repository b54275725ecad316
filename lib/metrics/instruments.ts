/**
 * Every metric the controller exports, registered on a private prom-client Registry (never the global default, so
 * tests and several controllers in one process do not collide).
 *
 * Names are protocol: dashboards and alerts match on them. ORIGINAL_METRIC_NAMES are the archived Go controller's
 * names, kept exactly; the others are ours. Add new metrics; never rename.
 *
 * Lint-clean for `promtool check metrics`: the original's two gauges named `*_total` are exposed as `untyped` (what
 * Prometheus' lint allows for that suffix; queries and dashboards see the same series), with properly named gauges
 * beside them; prom-client's three `nodejs_active_*_total` gauges are dropped (their `nodejs_active_*` twins stay).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export const METRIC_PREFIX = "kubernetesvault_";

/** The original's metric names, without the prefix (see shared/reference/original.md). */
export const ORIGINAL_METRIC_NAMES = [
  "kubernetes_discovered_nodes_total",
  "vault_secret_id_requests_total",
  "vault_secret_id_requests_failures_total",
  "vault_token_renewal_requests_total",
  "vault_token_renewal_request_failures_total",
  "vault_certificate_renewal_requests_total",
  "vault_certificate_renewal_request_failures_total",
  "raft_leader_changes_seen_total",
  "raft_nodes_total",
  "gossip_nodes_joined_total",
  "gossip_nodes_left_total",
  "gossip_nodes_failed_total",
  "gossip_nodes_reaped_total",
  "server_secret_pushes_total",
  "server_secret_push_failures_total",
] as const;

/** From the init container seen running to its confirmation: 5 ms on a quiet cluster up to 30 s under retries. */
export const PUSH_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A loopback commit is a few ms (fsync dominated); seconds mean a lost quorum. */
export const RAFT_COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;

/** prom-client default metrics whose names promtool rejects (gauges ending in _total); same data as nodejs_active_*. */
const LINT_FAILING_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** A gauge exposed with `# TYPE untyped`: the only lint-clean way to keep the original's `*_total` gauge names. */
class UntypedGauge<L extends string> extends Gauge<L> {
  constructor(configuration: ConstructorParameters<typeof Gauge<L>>[0]) {
    super(configuration);
    // prom-client renders `# TYPE` from this field and has no untyped metric class of its own.
    Reflect.set(this, "type", "untyped");
  }
}

export function createInstruments(registry: Registry) {
  const registers = [registry];
  const counter = <L extends string>(suffix: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name: name(suffix), help, labelNames, registers });
  const gauge = <L extends string>(suffix: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name: name(suffix), help, labelNames, registers });
  return {
    // The original's.
    discoveredNodesCompat: new UntypedGauge({
      name: name("kubernetes_discovered_nodes_total"),
      help: "Controller peers discovered through the Kubernetes API (the original's name; see kubernetes_discovered_nodes).",
      registers,
    }),
    secretIdRequests: counter("vault_secret_id_requests_total", "Wrapped secret_id requests sent to Vault.", [
      "approle",
    ]),
    secretIdRequestFailures: counter(
      "vault_secret_id_requests_failures_total",
      "Wrapped secret_id requests Vault refused or that failed.",
      ["approle"],
    ),
    tokenRenewals: counter(
      "vault_token_renewal_requests_total",
      "Renewals of the controller's Vault token attempted.",
    ),
    tokenRenewalFailures: counter(
      "vault_token_renewal_request_failures_total",
      "Renewals of the controller's Vault token that failed.",
    ),
    certificateRenewals: counter(
      "vault_certificate_renewal_requests_total",
      "Certificate issuances from Vault PKI attempted.",
    ),
    certificateRenewalFailures: counter(
      "vault_certificate_renewal_request_failures_total",
      "Certificate issuances from Vault PKI that failed.",
    ),
    raftLeaderChanges: counter("raft_leader_changes_seen_total", "Raft leader changes this node has seen."),
    raftNodesCompat: new UntypedGauge({
      name: name("raft_nodes_total"),
      help: "Voting members in the Raft configuration (the original's name; see raft_nodes).",
      registers,
    }),
    gossipJoined: counter("gossip_nodes_joined_total", "Gossip members that joined.", ["node"]),
    gossipLeft: counter("gossip_nodes_left_total", "Gossip members that left gracefully.", ["node"]),
    gossipFailed: counter("gossip_nodes_failed_total", "Gossip members declared failed.", ["node"]),
    gossipReaped: counter("gossip_nodes_reaped_total", "Failed gossip members removed for good.", ["node"]),
    pushes: counter("server_secret_pushes_total", "secret_ids delivered to init containers and confirmed.", [
      "approle",
    ]),
    pushFailures: counter("server_secret_push_failures_total", "Pushes to init containers that failed.", [
      "approle",
    ]),
    // Ours.
    gossipDropped: counter(
      "gossip_packets_dropped_total",
      "Gossip packets and streams refused: unauthenticated (no CLUSTER_KEY), stale, replayed, malformed... (reason).",
      ["reason"],
    ),
    discoveredNodes: gauge(
      "kubernetes_discovered_nodes",
      "Controller peers discovered through the Kubernetes API.",
    ),
    raftNodes: gauge("raft_nodes", "Voting members in the Raft configuration."),
    raftRpcRejected: counter(
      "raft_rpc_rejected_total",
      "Raft RPCs refused: unauthenticated, replayed, stale, malformed, oversize, overloaded or timeout (reason).",
      ["reason"],
    ),
    raftCommitLatency: new Histogram({
      name: name("raft_commit_latency_seconds"),
      help: "Time from proposing a ledger command to its commit and local apply on the leader.",
      buckets: RAFT_COMMIT_BUCKETS,
      registers,
    }),
    isLeader: gauge("is_leader", "1 while this controller is the Raft leader and issues secret_ids, else 0."),
    pushLatency: new Histogram<"approle">({
      name: name("push_latency_seconds"),
      help: "Time from the init container seen running to the init's confirmation.",
      labelNames: ["approle"],
      buckets: PUSH_LATENCY_BUCKETS,
      registers,
    }),
    queueDepth: gauge("workqueue_depth", "Pods waiting in the work queue."),
    pushesInFlight: gauge("pushes_in_flight", "Pushes to init containers currently in progress."),
    tokenTtl: gauge(
      "vault_token_ttl_seconds",
      "Remaining TTL of the controller's Vault token at its last lookup or renewal.",
    ),
    certificateExpiry: gauge(
      "certificate_expiry_timestamp_seconds",
      "When the controller's current certificate expires (Unix time).",
      ["purpose"],
    ),
    tokenRevocations: counter("vault_token_revocations_total", "Tokens of deleted pods revoked by accessor."),
    revokeFailures: counter(
      "vault_token_revocation_failures_total",
      "Revocations of deleted pods' tokens that failed.",
      ["reason"],
    ),
    events: counter("kubernetes_events_emitted_total", "Kubernetes Events written on pods.", [
      "reason",
      "type",
    ]),
    reconcileTerminal: counter(
      "reconcile_terminal_errors_total",
      "Reconciles that stopped without retry until the pod changes.",
      ["kind"],
    ),
    reconcileRetries: counter(
      "reconcile_retries_total",
      "Reconciles that failed and were re-queued with back-off.",
    ),
    sidecarStatusChecks: counter(
      "sidecar_status_checks_total",
      "Native sidecars asked for their token's standing before its expiry (result: valid, expiring, none, unreachable).",
      ["result"],
    ),
    sidecarRenewals: counter(
      "sidecar_token_renewals_observed_total",
      "Renewals of a native sidecar's token seen by the leader (a status check found a later expiry).",
      ["approle"],
    ),
    sidecarReissues: counter(
      "sidecar_token_reissues_total",
      "Fresh secret_ids delivered to native sidecars whose token could no longer be renewed.",
      ["approle"],
    ),
    sidecarReissueFailures: counter(
      "sidecar_token_reissue_failures_total",
      "Re-issues to native sidecars that failed (minting or pushing) and were retried.",
      ["approle"],
    ),
  };
}

export type Instruments = ReturnType<typeof createInstruments>;

export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): {
  registry: Registry;
  instruments: Instruments;
} {
  const registry = new Registry();
  const instruments = createInstruments(registry);
  // Standard process_*/nodejs_* names (no prefix), so stock process dashboards work unchanged.
  if (options.defaultMetrics ?? true) {
    // Event-loop lag sampled every 100 ms, not prom-client's 10 ms: that timer alone cost an idle replica ~6 ms of
    // CPU per second, and the stalls worth alerting on (a lapsed Raft lease) are longer than 100 ms anyway.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
    for (const metric of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(metric);
  }
  instruments.isLeader.set(0);
  instruments.queueDepth.set(0);
  instruments.pushesInFlight.set(0);
  return { registry, instruments };
}
