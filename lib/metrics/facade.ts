/**
 * ControllerMetricsRecorder: the only way code reports metrics. Methods with typed arguments replace label strings,
 * so a caller cannot misspell `approle` or invent a label. It implements lib/controller's ControllerMetrics (checked
 * at compile time below) and adds what the token/certificate keepers, Raft, gossip and the event recorder report.
 */
import type { ControllerMetrics } from "../controller/assembly/index.ts";
import type { Instruments } from "./instruments.ts";

/** Which certificate an expiry is about. */
export type CertificatePurpose = "push-client" | "metrics-server";
export type RevokeFailureReason = "forbidden" | "error";
export type EventKind = "Normal" | "Warning";
/** Why a Raft RPC was refused (see lib/raft/transport/server.ts). */
export type RaftRpcRejection =
  | "unauthenticated"
  | "replayed"
  | "stale"
  | "malformed"
  | "oversize"
  | "overloaded"
  | "timeout";

/** The TokenMetrics-shaped pair the certificate keeper takes. */
export interface RenewalMetrics {
  renewalAttempted(): void;
  renewalFailed(): void;
}

export interface ControllerMetricsRecorder extends ControllerMetrics {
  certificateRenewals: RenewalMetrics;
  certificateExpiry(purpose: CertificatePurpose, notAfterMs: number): void;
  tokenTtl(seconds: number): void;
  tokenRevocationFailed(reason: RevokeFailureReason): void;
  eventEmitted(reason: string, type: EventKind): void;
  discoveredNodes(count: number): void;
  raftLeaderChanged(): void;
  raftNodes(count: number): void;
  raftRpcRejected(reason: RaftRpcRejection): void;
  raftCommitLatency(seconds: number): void;
  gossipNodeJoined(node: string): void;
  gossipNodeLeft(node: string): void;
  gossipNodeFailed(node: string): void;
  gossipNodeReaped(node: string): void;
  /** Adds `count` refused gossip packets for `reason` (the host counts them; we copy the increase). */
  gossipPacketsDropped(reason: string, count: number): void;
}

export function createMetricsRecorder(m: Instruments): ControllerMetricsRecorder {
  return {
    secretIdRequested: (approle) => m.secretIdRequests.inc({ approle }),
    secretIdRequestFailed: (approle) => m.secretIdRequestFailures.inc({ approle }),
    pushed: (approle) => m.pushes.inc({ approle }),
    pushFailed: (approle) => m.pushFailures.inc({ approle }),
    pushLatency: (approle, seconds) => m.pushLatency.observe({ approle }, seconds),
    pushesInFlight: (delta) => m.pushesInFlight.inc(delta),
    tokenRevoked: () => m.tokenRevocations.inc(),
    tokenRevocationForbidden: () => m.revokeFailures.inc({ reason: "forbidden" }),
    tokenRevocationFailed: (reason) => m.revokeFailures.inc({ reason }),
    sidecarStatusChecked: (result) => m.sidecarStatusChecks.inc({ result }),
    sidecarRenewalObserved: (approle) => m.sidecarRenewals.inc({ approle }),
    sidecarReissued: (approle) => m.sidecarReissues.inc({ approle }),
    sidecarReissueFailed: (approle) => m.sidecarReissueFailures.inc({ approle }),
    renewalAttempted: () => m.tokenRenewals.inc(),
    renewalFailed: () => m.tokenRenewalFailures.inc(),
    queueDepth: (depth) => m.queueDepth.set(depth),
    reconcileTerminal: (kind) => m.reconcileTerminal.inc({ kind }),
    reconcileRetried: () => m.reconcileRetries.inc(),
    isLeader: (leader) => m.isLeader.set(leader ? 1 : 0),
    certificateRenewals: {
      renewalAttempted: () => m.certificateRenewals.inc(),
      renewalFailed: () => m.certificateRenewalFailures.inc(),
    },
    certificateExpiry: (purpose, notAfterMs) =>
      m.certificateExpiry.set({ purpose }, Math.floor(notAfterMs / 1000)),
    tokenTtl: (seconds) => m.tokenTtl.set(seconds),
    eventEmitted: (reason, type) => m.events.inc({ reason, type }),
    discoveredNodes(count) {
      m.discoveredNodes.set(count);
      m.discoveredNodesCompat.set(count);
    },
    raftLeaderChanged: () => m.raftLeaderChanges.inc(),
    raftNodes(count) {
      m.raftNodes.set(count);
      m.raftNodesCompat.set(count);
    },
    raftRpcRejected: (reason) => m.raftRpcRejected.inc({ reason }),
    raftCommitLatency: (seconds) => m.raftCommitLatency.observe(seconds),
    gossipNodeJoined: (node) => m.gossipJoined.inc({ node }),
    gossipNodeLeft: (node) => m.gossipLeft.inc({ node }),
    gossipNodeFailed: (node) => m.gossipFailed.inc({ node }),
    gossipNodeReaped: (node) => m.gossipReaped.inc({ node }),
    gossipPacketsDropped: (reason, count) => m.gossipDropped.inc({ reason }, count),
  };
}
