/**
 * Unauthenticated status endpoints that health checks and `vault status` read: sys/health (api-docs/system/health),
 * sys/seal-status and sys/leader. The sim is a single, initialised, active node; sealed only when a test says so
 * (sys/health then answers 503 with `sealed: true`, as Vault's default sealedcode).
 */
import { unixSeconds } from "../core/clock.ts";
import type { SimContext } from "../core/context.ts";
import type { Route } from "../core/logical.ts";

export const SIM_VAULT_VERSION = "1.15.6";

export interface ClusterIdentity {
  clusterName: string;
  clusterId: string;
}

const json = (body: unknown, status = 200) => ({
  raw: { body: JSON.stringify(body), contentType: "application/json", status },
});

export function statusRoutes(context: SimContext, cluster: ClusterIdentity): Route[] {
  return [
    {
      pattern: "health",
      unauthenticated: true,
      fields: { "*": "any" },
      operations: {
        read: () =>
          json(
            {
              initialized: true,
              sealed: context.seal.sealed,
              standby: false,
              performance_standby: false,
              replication_performance_mode: "disabled",
              replication_dr_mode: "disabled",
              server_time_utc: unixSeconds(context.clock.now()),
              version: SIM_VAULT_VERSION,
              enterprise: false,
              cluster_name: cluster.clusterName,
              cluster_id: cluster.clusterId,
              echo_duration_ms: 0,
              clock_skew_ms: 0,
            },
            context.seal.sealed ? 503 : 200,
          ),
      },
    },
    {
      pattern: "seal-status",
      unauthenticated: true,
      operations: {
        read: () =>
          json({
            type: "shamir",
            initialized: true,
            sealed: context.seal.sealed,
            t: 1,
            n: 1,
            progress: 0,
            nonce: "",
            version: SIM_VAULT_VERSION,
            build_date: "2024-02-28T17:07:34Z",
            migration: false,
            cluster_name: cluster.clusterName,
            cluster_id: cluster.clusterId,
            recovery_seal: false,
            storage_type: "inmem",
          }),
      },
    },
    {
      pattern: "leader",
      unauthenticated: true,
      operations: {
        read: () =>
          json({
            ha_enabled: false,
            is_self: false,
            active_time: "0001-01-01T00:00:00Z",
            leader_address: "",
            leader_cluster_address: "",
            performance_standby: false,
            performance_standby_last_remote_wal: 0,
          }),
      },
    },
  ];
}
