/**
 * reconcile(uid): level-triggered and idempotent. It reads only the pod cache and the ledger, never the event that
 * enqueued it, and decides what the world needs now:
 *
 * - pod gone  -> revoke what it was given, forget it (cleanup.ts);
 * - not ours (no annotations), init container not running, pod terminating, or this restart already confirmed
 *   -> nothing;
 * - annotation invalid or role not allowed -> Warning event and TerminalError (no retry until the pod changes);
 * - init container's restartPolicy and MODE disagree about a native sidecar -> Warning InvalidVaultSidecar and
 *   TerminalError (pod.ts's initModeOf says why no secret_id is the safe answer);
 * - otherwise -> one issuance for (pod UID, init restartCount, generation) (issue.ts); a failure throws so the
 *   queue retries with back-off, and each retry re-checks that the init container still runs. An attempt that did
 *   not confirm (failed, or interrupted by a leader change) is retried at the same generation.
 * - a confirmed native sidecar -> requeued for its token's expiry minus the margin, then asked how its token stands
 *   (sidecar.ts): renewed -> record the new expiry, look again later; not renewable -> re-issue at generation + 1.
 *   Nothing of this applies to init mode: a confirmed init-mode restart is done.
 */
import { TerminalError } from "../support/errors.ts";
import type { ReconcileResult } from "../workqueue/index.ts";
import { type CleanupState, cleanUpDeletedPod } from "./cleanup.ts";
import type { ReconcileDeps } from "./deps.ts";
import { issue } from "./issue.ts";
import {
  initContainerStatus,
  initModeOf,
  type PodRef,
  type PodView,
  podRef,
  serviceAccountOf,
} from "./pod.ts";
import { followUpSidecar, resumeInterruptedSidecar, sidecarDueInMs } from "./sidecar.ts";

/** A running init container whose pod has no IP yet is rare and brief; look again soon rather than wait for an event. */
const POD_IP_RECHECK_MS = 1_000;

export type Reconcile = (uid: string) => Promise<ReconcileResult>;

function annotationsOf(deps: ReconcileDeps, pod: PodView, ref: PodRef) {
  try {
    return deps.policy.parseAnnotations(pod.metadata?.annotations ?? {});
  } catch (error) {
    // lib/config's ConfigError is a multi-line list; an event reads better on one line.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
    deps.events.record(ref, "InvalidVaultAnnotation", message);
    throw new TerminalError(`pod ${ref.namespace}/${ref.name}: ${message}`, "invalid-annotation");
  }
}

export function createReconciler(deps: ReconcileDeps): Reconcile {
  const cleanupState: CleanupState = { warnedForbidden: false };
  /** uid -> when the current run of its init container was first seen running (push latency). */
  const seenRunning = new Map<string, { restartCount: number; at: number }>();

  return async (uid) => {
    const pod = deps.pods.get(uid);
    const entry = deps.ledger.get(uid);
    const ref = pod ? podRef(pod) : undefined;
    if (!pod || !ref) {
      seenRunning.delete(uid);
      if (entry) await cleanUpDeletedPod(deps, cleanupState, entry);
      return {};
    }
    const annotations = annotationsOf(deps, pod, ref);
    if (!annotations) return {};
    const init = initContainerStatus(pod, annotations.initContainer);
    if (!init?.state?.running || pod.metadata?.deletionTimestamp) {
      seenRunning.delete(uid);
      return {};
    }
    const { restartCount } = init;
    const thisRun = entry?.restartCount === restartCount ? entry : undefined;
    if (thisRun?.state === "confirmed" && thisRun.mode !== "sidecar") return {};
    // The cache lags the ledger (another replica saw a newer restart): wait for the cache to catch up.
    if (entry && entry.restartCount > restartCount) return {};

    const reading = initModeOf(pod, annotations.initContainer);
    if ("problem" in reading) {
      deps.events.record(ref, "InvalidVaultSidecar", reading.problem);
      throw new TerminalError(`pod ${ref.namespace}/${ref.name}: ${reading.problem}`, "invalid-sidecar");
    }
    const serviceAccount = serviceAccountOf(pod);
    const decision = deps.policy.decide({ namespace: ref.namespace, serviceAccount, role: annotations.role });
    if (!decision.allowed) {
      deps.events.record(
        ref,
        "VaultRoleNotAllowed",
        `no secret_id for AppRole "${annotations.role}": ${decision.reason}`,
      );
      throw new TerminalError(`pod ${ref.namespace}/${ref.name}: role not allowed`, "role-not-allowed");
    }

    const seen = seenRunning.get(uid);
    // First look at this run: it became visible when the informer delivered the pod's latest change.
    const seenRunningAt =
      seen?.restartCount === restartCount
        ? seen.at
        : Math.min(deps.clock.now(), deps.pods.changedAt?.(uid) ?? Number.POSITIVE_INFINITY);
    seenRunning.set(uid, { restartCount, at: seenRunningAt });

    const podIp = pod.status?.podIP;
    if (!podIp) return { requeueAfterMs: POD_IP_RECHECK_MS };

    let generation = thisRun?.generation ?? 0;
    if (thisRun?.state === "confirmed") {
      const next = await followUpSidecar(deps, thisRun, podIp);
      if (next.kind === "nothing") return {};
      if (next.kind === "later") return { requeueAfterMs: next.afterMs };
      generation = thisRun.generation + 1;
    } else if (
      thisRun?.state === "issuing" &&
      reading.mode === "sidecar" &&
      (await resumeInterruptedSidecar(deps, thisRun, podIp))
    )
      return scheduleOf(deps, uid);

    const result = await issue(deps, {
      ref,
      ...annotations,
      serviceAccount,
      restartCount,
      podIp,
      seenRunningAt,
      generation,
      mode: reading.mode,
    });
    // Not listening yet: keep seenRunningAt (the grace period and the latency histogram count from it).
    if (typeof result === "object") return { requeueAfterMs: result.recheckAfterMs };
    seenRunning.delete(uid);
    return scheduleOf(deps, uid);
  };
}

/** After a confirmation: a sidecar is looked at again when its token is due; an init-mode pod is done. */
function scheduleOf(deps: ReconcileDeps, uid: string): ReconcileResult {
  const confirmed = deps.ledger.get(uid);
  const dueInMs = confirmed ? sidecarDueInMs(deps, confirmed) : undefined;
  return dueInMs === undefined ? {} : { requeueAfterMs: Math.max(0, dueInMs) };
}
