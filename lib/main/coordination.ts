/**
 * Coordination: who may act (the leader gate) and where issuances are recorded (the ledger). A single replica
 * leads alone with an in-memory ledger; replicated controllers get both from Raft.
 */
import type { Hono } from "hono";
import {
  alwaysLeader,
  createMemoryLedger,
  type IssuanceLedger,
  type LeaderGate,
} from "../controller/index.ts";
import type { ReadinessCheck } from "../server/index.ts";

export interface Coordination {
  leader: LeaderGate;
  ledger: IssuanceLedger;
  /** Peer RPC routes to mount on the controller's server, when coordination talks to peers. */
  peerRoutes?: Hono;
  /** False while this replica cannot take part yet (e.g. waiting to be added to the Raft cluster). */
  readiness?: ReadinessCheck;
  start(): Promise<void>;
  /** Hand leadership over (when leading) and stop talking to peers. */
  stop(): Promise<void>;
}

export function singleReplicaCoordination(): Coordination {
  return {
    leader: alwaysLeader(),
    ledger: createMemoryLedger(),
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}
