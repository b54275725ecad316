/**
 * Everything the controller core reports, as one interface that lib/metrics implements with prom-client.
 * The core never imports prom-client; tests pass a recording fake, or `noopControllerMetrics`.
 *
 * The original's names these calls feed (all prefixed kubernetesvault_):
 * - secretIdRequested / secretIdRequestFailed -> vault_secret_id_requests_total{approle} / ..._failures_total{approle}
 * - pushed / pushFailed -> server_secret_pushes_total{approle} / server_secret_push_failures_total{approle}
 * - renewalAttempted / renewalFailed (token keeper) -> vault_token_renewal_requests_total / ..._failures_total
 * - the certificate keeper takes its own TokenMetrics-shaped pair -> vault_certificate_renewal_requests_total / ...
 * New ones: pushLatency (histogram, init seen running -> confirmation), pushesInFlight, queueDepth, isLeader,
 * tokenRevoked / tokenRevocationForbidden, reconcileTerminal{kind}, reconcileRetried; for native sidecars (issue 15)
 * sidecarStatusChecked{result}, sidecarRenewalObserved{approle}, sidecarReissued{approle},
 * sidecarReissueFailed{approle}.
 */
import type { ReconcileMetrics } from "../reconcile/index.ts";
import type { TokenMetrics } from "../token-keeper/index.ts";

export interface ControllerMetrics extends ReconcileMetrics, TokenMetrics {
  queueDepth(depth: number): void;
  /** A reconcile ended in a TerminalError (not retried); `kind` is its stable label. */
  reconcileTerminal(kind: string): void;
  reconcileRetried(): void;
  isLeader(leader: boolean): void;
}

export const noopControllerMetrics: ControllerMetrics = {
  secretIdRequested() {},
  secretIdRequestFailed() {},
  pushed() {},
  pushFailed() {},
  pushLatency() {},
  pushesInFlight() {},
  tokenRevoked() {},
  tokenRevocationForbidden() {},
  sidecarStatusChecked() {},
  sidecarRenewalObserved() {},
  sidecarReissued() {},
  sidecarReissueFailed() {},
  renewalAttempted() {},
  renewalFailed() {},
  queueDepth() {},
  reconcileTerminal() {},
  reconcileRetried() {},
  isLeader() {},
};
