/**
 * Everything the controller core reports, as one interface that lib/metrics implements with prom-client.
 * The core never imports prom-client; tests pass a recording fake, or `noopControllerMetrics`.
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
  renewalAttempted() {},
  renewalFailed() {},
  queueDepth() {},
  reconcileTerminal() {},
  reconcileRetried() {},
  isLeader() {},
};
