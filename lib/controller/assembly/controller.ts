/**
 * The controller: informer events -> pod index -> work queue -> workers -> reconcile, gated by leadership.
 *
 * Contract (controller-runtime's order):
 * - `start()` subscribes to pod events, waits for the informer's first full list, then, while leader, starts the
 *   workers. Events only record the pod and enqueue its UID; they never carry decisions.
 * - Each term of leadership gets a fresh queue seeded with every pod of ours in the cache and every UID in the ledger
 *   (so pods deleted while no one led are still cleaned up). Losing leadership shuts that queue down; in-flight
 *   reconciles see the leadership signal abort and stop at their next step (a push already sent gets its answer).
 * - `stop()` (SIGTERM) stops intake and waits up to `drainMs` for in-flight reconciles; it reports whether they all
 *   finished so the caller can log it and exit 0 either way.
 */
import type { Logger } from "../../log/index.ts";
import { DEFAULT_WORKERS, SHUTDOWN_DRAIN_MS } from "../defaults.ts";
import type { LeaderGate } from "../leader/index.ts";
import type { IssuanceLedger } from "../ledger/index.ts";
import {
  createReconciler,
  type EventSink,
  type PodView,
  type Policy,
  type Pusher,
  type ReconcileSettings,
  type VaultOperations,
} from "../reconcile/index.ts";
import type { Clock, Random } from "../support/clock.ts";
import { errorMessage, NotReadyError } from "../support/errors.ts";
import { createWorkQueue, startWorkers, type WorkQueue } from "../workqueue/index.ts";
import type { ControllerMetrics } from "./metrics.ts";
import { createPodIndex, type PodSource } from "./pod-index.ts";

export interface ControllerParts {
  pods: PodSource;
  ledger: IssuanceLedger;
  vault: VaultOperations;
  pusher: Pusher;
  events: EventSink;
  metrics: ControllerMetrics;
  policy: Policy;
  settings: ReconcileSettings;
  leader: LeaderGate;
  clock: Clock;
  random: Random;
  log: Logger;
  workers?: number;
  drainMs?: number;
}

export interface Controller {
  start(): Promise<void>;
  stop(): Promise<{ drained: boolean }>;
  queueDepth(): number;
}

export function createController(parts: ControllerParts): Controller {
  const { ledger, leader, log, metrics } = parts;
  const index = createPodIndex(() => parts.clock.now());
  const reconcile = createReconciler({ ...parts, pods: index });
  let queue: WorkQueue<string> | undefined;
  let pool: Promise<void> | undefined;
  let unsubscribers: (() => void)[] = [];
  let started = false;
  let stopping = false;

  /** Ours: carries a vault annotation (even an invalid one, which deserves its event), or was served before. */
  const isOurs = (uid: string, pod: PodView | undefined): boolean => {
    if (ledger.get(uid)) return true;
    if (!pod) return false;
    try {
      return parts.policy.parseAnnotations(pod.metadata?.annotations ?? {}) !== undefined;
    } catch {
      return true;
    }
  };

  const beginTerm = () => {
    if (queue && !queue.isShuttingDown()) return;
    const termQueue = createWorkQueue<string>({
      clock: parts.clock,
      random: parts.random,
      onDepthChange: (depth) => metrics.queueDepth(depth),
    });
    queue = termQueue;
    // The previous term's workers finish first (they stopped at their next step; a push already sent runs to its
    // answer, bounded by PUSH_TIMEOUT_MS), so two terms never work the same pod at once in this process.
    const previous = pool ?? Promise.resolve();
    const startTerm = () =>
      startWorkers(termQueue, parts.workers ?? DEFAULT_WORKERS, reconcile, {
        onRetry: (uid, error, failures) => {
          metrics.reconcileRetried();
          const details = { uid, failures, error: errorMessage(error) };
          if (error instanceof NotReadyError) log.debug("not ready yet; retrying with back-off", details);
          else log.warn("reconcile failed; retrying with back-off", details);
        },
        onTerminal: (uid, error) => {
          metrics.reconcileTerminal(error.kind);
          log.info("reconcile stopped until the pod changes", {
            uid,
            kind: error.kind,
            reason: error.message,
          });
        },
      });
    pool = previous.then(startTerm);
    const uids = new Set([...index.uids(), ...ledger.list().map((entry) => entry.uid)]);
    for (const uid of uids) if (isOurs(uid, index.get(uid))) termQueue.add(uid);
    log.info("leading: reconciling pods", { pods: uids.size });
  };

  const endTerm = () => {
    queue?.shutDown();
    log.info("no longer leading: stopped reconciling");
  };

  const onLeadership = (isLeader: boolean) => {
    metrics.isLeader(isLeader);
    if (stopping || !started) return;
    if (isLeader) beginTerm();
    else endTerm();
  };

  return {
    async start() {
      unsubscribers = [
        parts.pods.subscribe((type, pod) => {
          const uid = index.apply(type, pod);
          if (uid && queue && isOurs(uid, pod)) queue.add(uid);
        }),
        leader.onLeadershipChange(onLeadership),
      ];
      await parts.pods.waitForSync();
      for (const pod of parts.pods.list()) index.apply("add", pod);
      started = true;
      metrics.isLeader(leader.isLeader());
      if (leader.isLeader() && !stopping) beginTerm();
    },
    async stop() {
      stopping = true;
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
      if (!queue) return { drained: true };
      queue.shutDown();
      const drained = await queue.drain(parts.drainMs ?? SHUTDOWN_DRAIN_MS);
      if (drained) await pool;
      else
        log.warn("in-flight reconciles did not finish within the shutdown bound", {
          inFlight: queue.inFlight(),
        });
      return { drained };
    },
    queueDepth: () => queue?.depth() ?? 0,
  };
}
