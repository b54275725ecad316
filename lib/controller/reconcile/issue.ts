/**
 * One issuance attempt for a pod whose init container is running: commit `issuing`, mint a wrapped secret_id bound
 * to the pod, push it, then commit `confirmed` (or `failed`, with the minted secret_id's accessor): two commits.
 *
 * Contract:
 * - The ledger's `issuing` commit comes before minting, so a new leader knows an attempt was under way.
 * - A refused `beginIssuing` means another attempt already confirmed this restart: nothing to do.
 * - Vault refusing (4xx) emits VaultSecretIdDenied with Vault's own message; Vault unreachable emits VaultUnavailable.
 *   Both retry with back-off: a policy fix in Vault changes nothing the informer would see.
 * - A failed push emits VaultPushFailed with the reason; it is retried with a fresh secret_id unless the init's answer
 *   says retrying cannot help (TerminalError).
 * - Before anything is committed or minted, the init must accept connections (`pusher.listening`): until it does,
 *   the attempt asks to be looked at again soon (a short recheck) during INIT_LISTEN_GRACE_MS, then throws for a
 *   retry with back-off and a VaultPushFailed event.
 * - A push refused or reset at the connection (`unreached`) is repeated with the same wrapping token after short
 *   pauses (REPUSH_DELAYS_MS) while at least half its TTL is left: the init never saw it, so no new secret_id.
 * - A push that has started runs to its answer even if leadership is lost meanwhile (see `push`); its delivery is
 *   counted (pushes, push latency) when the init answers, before the confirmation is committed.
 * - The wrapping token lives only in this function's locals and the push body.
 */
import { encodeVaultCAs, type PushRequest } from "../../push/index.ts";
import {
  INIT_LISTEN_GRACE_MS,
  NOT_LISTENING_RECHECK_MAX_MS,
  NOT_LISTENING_RECHECK_MIN_MS,
  REPUSH_DELAYS_MS,
} from "../defaults.ts";
import { type Confirmation, type InitMode, LedgerConflictError } from "../ledger/index.ts";
import { errorMessage, NotReadyError, TerminalError } from "../support/errors.ts";
import type { ReconcileDeps } from "./deps.ts";
import type { PodRef } from "./pod.ts";
import type { PushOutcome, WrappedSecretId } from "./ports.ts";

export interface IssueTarget {
  ref: PodRef;
  role: string;
  initContainer: string;
  serviceAccount: string;
  restartCount: number;
  podIp: string;
  /** When this run of the init container was first seen running (push-latency histogram start). */
  seenRunningAt: number;
  /** 0 for the first token of this run; above it, a re-issue to a native sidecar. */
  generation: number;
  /** How the init container runs, read from the pod spec (initModeOf); its confirmation has the last word. */
  mode: InitMode;
}

export type IssueResult = "delivered" | "already-confirmed" | { recheckAfterMs: number };

/** Vault's cidr_list takes CIDR blocks; a single address is a /32 (IPv4) or /128 (IPv6). */
export function hostCidr(ip: string): string {
  return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
}

async function mint(deps: ReconcileDeps, target: IssueTarget): Promise<WrappedSecretId> {
  const { ref, role } = target;
  deps.metrics.secretIdRequested(role);
  try {
    return await deps.vault.createWrappedSecretId(
      role,
      {
        metadata: {
          namespace: ref.namespace,
          pod: ref.name,
          uid: ref.uid,
          serviceAccount: target.serviceAccount,
        },
        cidrList: deps.settings.cidrBinding ? [hostCidr(target.podIp)] : [],
        numUses: 1,
        ttlSeconds: deps.settings.secretIdTtlSeconds,
      },
      deps.settings.wrapTtlSeconds,
    );
  } catch (error) {
    deps.metrics.secretIdRequestFailed(role);
    const refusal = deps.vault.refusalOf(error);
    if (refusal && refusal.status < 500) {
      const said = refusal.errors.join("; ") || "no reason given";
      deps.events.record(
        ref,
        "VaultSecretIdDenied",
        `Vault refused to create a secret_id for AppRole "${role}" (HTTP ${refusal.status}): ${said}. Check that the role exists and that the controller's Vault policy allows 'update' on auth/approle/role/${role}/secret-id.`,
      );
    } else {
      deps.events.record(
        ref,
        "VaultUnavailable",
        `could not create a secret_id for AppRole "${role}": ${errorMessage(error)}; retrying`,
      );
    }
    throw error;
  }
}

async function push(
  deps: ReconcileDeps,
  target: IssueTarget,
  wrapped: WrappedSecretId,
): Promise<PushOutcome> {
  const request: PushRequest = {
    token: wrapped.wrappingToken,
    creationTime: wrapped.creationTime,
    ttl: wrapped.ttlSeconds,
    vaultAddr: deps.settings.vaultAddr,
    vaultCAs: encodeVaultCAs(deps.settings.vaultCaPem),
    // Init-mode pushes stay byte-for-byte the original's; a sidecar answers a repeated generation idempotently.
    ...(target.mode === "sidecar" || target.generation > 0 ? { generation: target.generation } : {}),
  };
  if (deps.leader.leadershipSignal().aborted)
    return { kind: "failed", retry: true, reason: "push aborted: leadership lost or shutting down" };
  deps.metrics.pushesInFlight(1);
  try {
    // Once sent, the wrapping token is the init's: aborting on a lost lease would only lose the answer (the init
    // still logs in and exits), leaving a delivered pod that no replica confirms or counts. PUSH_TIMEOUT_MS and the
    // shutdown drain bound it instead; a deposed leader's confirmation then fails to commit, as it must.
    return await deps.pusher.push(target.podIp, request, UNABORTED);
  } finally {
    deps.metrics.pushesInFlight(-1);
  }
}

const UNABORTED = new AbortController().signal;

/** Pauses for `ms` on the injected clock; false when leadership was lost meanwhile. */
function pause(deps: ReconcileDeps, ms: number): Promise<boolean> {
  const signal = deps.leader.leadershipSignal();
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      deps.clock.clearTimer(timer);
      resolve(false);
    };
    const timer = deps.clock.setTimer(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Pushes, and pushes the same token again while the init refuses the connection and the token has time left. */
async function pushUntilReached(
  deps: ReconcileDeps,
  target: IssueTarget,
  wrapped: WrappedSecretId,
  mintedAt: number,
): Promise<PushOutcome> {
  // The init must still have half the wrap TTL to unwrap what it receives.
  const lastUsefulAt = mintedAt + (wrapped.ttlSeconds * 1000) / 2;
  let outcome = await push(deps, target, wrapped);
  for (const delayMs of REPUSH_DELAYS_MS) {
    if (outcome.kind !== "failed" || !outcome.unreached) return outcome;
    if (deps.clock.now() + delayMs > lastUsefulAt || !(await pause(deps, delayMs))) return outcome;
    outcome = await push(deps, target, wrapped);
  }
  return outcome;
}

/** undefined when the init listens; else how long to wait before looking again (throws once the grace is over). */
async function requireListening(deps: ReconcileDeps, target: IssueTarget): Promise<number | undefined> {
  if (!deps.pusher.listening) return undefined;
  const answer = await deps.pusher.listening(target.podIp, deps.leader.leadershipSignal());
  if (answer.listening) return undefined;
  const waitedMs = deps.clock.now() - target.seenRunningAt;
  if (waitedMs < INIT_LISTEN_GRACE_MS)
    return Math.min(NOT_LISTENING_RECHECK_MAX_MS, Math.max(NOT_LISTENING_RECHECK_MIN_MS, waitedMs / 4));
  deps.events.record(
    target.ref,
    "VaultPushFailed",
    `init container "${target.initContainer}" has been running for ${Math.round(waitedMs / 1000)} s but ${answer.reason}; check its LISTEN_ADDRESS and logs. Retrying`,
  );
  throw new NotReadyError(
    `pod ${target.ref.namespace}/${target.ref.name}: init not listening yet: ${answer.reason}`,
  );
}

/** What the confirm commit records from the init's answer; a sidecar's relative lease becomes an absolute expiry. */
function confirmationOf(
  outcome: Exclude<PushOutcome, { kind: "failed" }>,
  target: IssueTarget,
  wrapped: WrappedSecretId,
  at: number,
): Confirmation {
  const delivered = outcome.kind === "delivered" ? outcome : undefined;
  const secretIdAccessor = delivered ? (delivered.secretIdAccessor ?? wrapped.secretIdAccessor) : undefined;
  // The init's word on its mode wins over the spec's: absent from an init-mode or original init means "init".
  const mode: InitMode = delivered ? (delivered.mode ?? "init") : target.mode;
  const sidecarLease =
    mode === "sidecar" && delivered?.tokenTtlSeconds !== undefined
      ? {
          tokenTtlSeconds: delivered.tokenTtlSeconds,
          tokenExpiresAt: at + delivered.tokenTtlSeconds * 1000,
          ...(delivered.tokenRenewable !== undefined ? { tokenRenewable: delivered.tokenRenewable } : {}),
        }
      : {};
  return {
    ...(delivered?.tokenAccessor ? { tokenAccessor: delivered.tokenAccessor } : {}),
    ...(secretIdAccessor ? { secretIdAccessor } : {}),
    ...(target.generation > 0 ? { generation: target.generation } : {}),
    ...(mode === "sidecar" ? { mode } : {}),
    ...sidecarLease,
  };
}

/**
 * The init answered without using the secret_id just minted (it already held credentials: `already-delivered`, or a
 * sidecar repeating its confirmation of this generation, which names the secret_id it did use). Nobody else holds
 * its wrapping token, so destroying it leaves at most one live secret_id per issuance (ledger/README.md).
 */
async function destroyIfUnused(
  deps: ReconcileDeps,
  target: IssueTarget,
  wrapped: WrappedSecretId,
  outcome: PushOutcome,
) {
  const minted = wrapped.secretIdAccessor;
  if (!minted) return;
  const unused =
    outcome.kind === "already-delivered" ||
    (outcome.kind === "delivered" &&
      outcome.secretIdAccessor !== undefined &&
      outcome.secretIdAccessor !== minted);
  if (!unused) return;
  await deps.vault.destroySecretId(target.role, minted).catch((error: unknown) =>
    deps.log.debug("could not destroy an unused secret_id; it expires with its TTL", {
      namespace: target.ref.namespace,
      pod: target.ref.name,
      error: errorMessage(error),
    }),
  );
}

export async function issue(deps: ReconcileDeps, target: IssueTarget): Promise<IssueResult> {
  const { ref, role, restartCount, generation } = target;
  const { ledger, clock } = deps;
  const reissue = generation > 0;
  const attempt = generation > 0 ? { generation } : {};
  const recheckAfterMs = await requireListening(deps, target);
  if (recheckAfterMs !== undefined) return { recheckAfterMs };
  try {
    await ledger.beginIssuing({ ...ref, role, restartCount, ...attempt, at: clock.now() });
  } catch (error) {
    if (error instanceof LedgerConflictError) return "already-confirmed";
    throw error;
  }
  const wrapped = await mint(deps, target).catch(async (error: unknown) => {
    if (reissue) deps.metrics.sidecarReissueFailed(role);
    await ledger
      .markFailed(ref.uid, restartCount, "minting the secret_id failed", clock.now(), attempt)
      .catch(() => {});
    throw error;
  });
  // No `pushed` commit between minting and pushing: ledger/README.md says why a new leader that finds `issuing`
  // cannot double-issue without it. The accessor is recorded with the outcome instead.
  const mintedAt = clock.now();
  let outcome = await pushUntilReached(deps, target, wrapped, mintedAt);
  // The confirmation's lease counts from the init's answer: taken now, before any later await, so the recorded
  // expiry is never later than the token's.
  const answeredAt = clock.now();
  if (outcome.kind === "delivered" && outcome.generation !== undefined && outcome.generation !== generation)
    outcome = {
      kind: "failed",
      retry: true,
      reason: `the init confirmed generation ${outcome.generation}, not the ${generation} pushed`,
    };

  if (outcome.kind === "failed") {
    deps.metrics.pushFailed(role);
    if (reissue) deps.metrics.sidecarReissueFailed(role);
    await ledger
      .markFailed(ref.uid, restartCount, outcome.reason, clock.now(), {
        ...attempt,
        ...(wrapped.secretIdAccessor ? { secretIdAccessor: wrapped.secretIdAccessor } : {}),
      })
      .catch(() => {});
    if (deps.leader.leadershipSignal().aborted) throw new Error("leadership lost during the push");
    const retry = outcome.retry ? "; retrying with a fresh secret_id" : "";
    deps.events.record(
      ref,
      reissue ? "VaultTokenReissueFailed" : "VaultPushFailed",
      `${reissue ? `re-issue (generation ${generation}): ` : ""}push to init container "${target.initContainer}" failed: ${outcome.reason}${retry}`,
    );
    if (!outcome.retry)
      throw new TerminalError(`push to ${ref.namespace}/${ref.name}: ${outcome.reason}`, "push-refused");
    throw new Error(`push to ${ref.namespace}/${ref.name} failed: ${outcome.reason}`);
  }

  // Counted when the init answers, even if this replica is deposed before the confirmation commits.
  deps.metrics.pushed(role);
  if (reissue) deps.metrics.sidecarReissued(role);
  // A re-issue's wait is the sidecar's whole life so far, not a pod waiting for its token: not a push latency.
  else deps.metrics.pushLatency(role, Math.max(0, clock.now() - target.seenRunningAt) / 1000);
  await destroyIfUnused(deps, target, wrapped, outcome);
  await ledger
    .confirm(ref.uid, restartCount, confirmationOf(outcome, target, wrapped, answeredAt), clock.now())
    .catch((error: unknown) => {
      if (deps.leader.leadershipSignal().aborted)
        deps.log.warn("delivered, but leadership was lost before the confirmation was committed", {
          namespace: ref.namespace,
          pod: ref.name,
          restartCount,
          generation,
        });
      throw error;
    });
  const how =
    outcome.kind === "delivered"
      ? `delivered a Vault secret_id for AppRole "${role}" to init container "${target.initContainer}"`
      : `init container "${target.initContainer}" already holds credentials for AppRole "${role}"`;
  if (reissue)
    deps.events.record(
      ref,
      "VaultTokenReissued",
      `the sidecar's token could no longer be renewed: ${how} (init restart ${restartCount}, generation ${generation})`,
    );
  else deps.events.record(ref, "VaultTokenDelivered", `${how} (init restart ${restartCount})`);
  deps.log.info(reissue ? "re-issued" : "delivered", {
    namespace: ref.namespace,
    pod: ref.name,
    role,
    restartCount,
    generation,
  });
  return "delivered";
}
