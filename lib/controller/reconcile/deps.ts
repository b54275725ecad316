/** Everything a reconcile needs, passed in once (no globals), so tests can build it from fakes. */
import type { Logger } from "../../log/index.ts";
import type { LeaderGate } from "../leader/index.ts";
import type { IssuanceLedger } from "../ledger/index.ts";
import type { Clock } from "../support/clock.ts";
import type {
  EventSink,
  PodCache,
  Policy,
  Pusher,
  ReconcileMetrics,
  ReconcileSettings,
  VaultOperations,
} from "./ports.ts";

export interface ReconcileDeps {
  pods: PodCache;
  ledger: IssuanceLedger;
  vault: VaultOperations;
  pusher: Pusher;
  events: EventSink;
  metrics: ReconcileMetrics;
  policy: Policy;
  settings: ReconcileSettings;
  leader: LeaderGate;
  clock: Clock;
  log: Logger;
}
