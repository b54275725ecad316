/**
 * The leader's follow-up of a confirmed native sidecar (issue 15): when its token is due, ask the sidecar how the
 * token stands, and say whether to look again later or to re-issue now.
 *
 * Contract:
 * - Due = the ledger's tokenExpiresAt minus the margin (`reissueMarginMs`); before that, nothing is asked and the
 *   caller requeues the pod for the due time.
 * - At the due time, GET /status (pusher.status):
 *   - `valid` with a lease that outlives half the margin: the new expiry is committed (`renewed`) when it moved
 *     (a renewal observed), and the pod is looked at again at the new due time (at least SIDECAR_STATUS_RECHECK_MS
 *     later, so a sidecar renewing just in time is not asked in a loop);
 *   - `valid` with less than half the margin left, `expiring`, `none`, or no answer: re-issue now (generation + 1).
 * - A sidecar confirmed without a lease (its init does not log in: RETRIEVE_TOKEN=false) has nothing to renew:
 *   never due.
 */
import {
  DEFAULT_SIDECAR_REISSUE_MARGIN_MS,
  SIDECAR_MARGIN_LEASE_FRACTION,
  SIDECAR_STATUS_RECHECK_MS,
} from "../defaults.ts";
import type { IssuanceEntry } from "../ledger/index.ts";
import type { ReconcileDeps } from "./deps.ts";
import type { StatusAnswer, StatusCheckResult } from "./ports.ts";

export type SidecarFollowUp =
  | { kind: "nothing" }
  | { kind: "later"; afterMs: number }
  | { kind: "reissue"; found: StatusCheckResult };

/** The configured margin, capped at a fraction of the token's lease so short TTLs are not re-issued at once. */
export function reissueMarginMs(deps: Pick<ReconcileDeps, "settings">, entry: IssuanceEntry): number {
  const configured = deps.settings.sidecarReissueMarginMs ?? DEFAULT_SIDECAR_REISSUE_MARGIN_MS;
  if (entry.tokenTtlSeconds === undefined) return configured;
  return Math.min(configured, entry.tokenTtlSeconds * 1000 * SIDECAR_MARGIN_LEASE_FRACTION);
}

/** How long until a confirmed sidecar entry is due for a status check; undefined when it never is. */
export function sidecarDueInMs(deps: Pick<ReconcileDeps, "settings" | "clock">, entry: IssuanceEntry) {
  if (entry.mode !== "sidecar" || entry.state !== "confirmed" || entry.tokenExpiresAt === undefined)
    return undefined;
  return entry.tokenExpiresAt - reissueMarginMs(deps, entry) - deps.clock.now();
}

async function askStatus(deps: ReconcileDeps, podIp: string): Promise<StatusAnswer> {
  if (!deps.pusher.status) return { kind: "unreachable", reason: "this controller has no status client" };
  return deps.pusher.status(podIp, deps.leader.leadershipSignal());
}

export async function followUpSidecar(
  deps: ReconcileDeps,
  entry: IssuanceEntry,
  podIp: string,
): Promise<SidecarFollowUp> {
  const dueInMs = sidecarDueInMs(deps, entry);
  if (dueInMs === undefined || entry.tokenExpiresAt === undefined) return { kind: "nothing" };
  if (dueInMs > 0) return { kind: "later", afterMs: dueInMs };
  const answer = await askStatus(deps, podIp);
  const found: StatusCheckResult = answer.kind === "status" ? answer.status.token : "unreachable";
  deps.metrics.sidecarStatusChecked(found);
  const where = { namespace: entry.namespace, pod: entry.name, generation: entry.generation };
  if (answer.kind === "unreachable")
    deps.log.info("sidecar status unreachable; re-issuing", { ...where, reason: answer.reason });
  if (answer.kind !== "status" || answer.status.token !== "valid") return { kind: "reissue", found };
  const now = deps.clock.now();
  const marginMs = reissueMarginMs(deps, entry);
  const expiresAt = now + answer.status.ttlSeconds * 1000;
  if (expiresAt - now < marginMs / 2) {
    deps.log.info("sidecar says valid but has not renewed in time; re-issuing", {
      ...where,
      ttlSeconds: answer.status.ttlSeconds,
    });
    return { kind: "reissue", found };
  }
  if (expiresAt > entry.tokenExpiresAt) {
    deps.metrics.sidecarRenewalObserved(entry.role);
    await deps.ledger.renewed(entry.uid, entry.restartCount, entry.generation, expiresAt, now);
  }
  return { kind: "later", afterMs: Math.max(SIDECAR_STATUS_RECHECK_MS, expiresAt - marginMs - now) };
}

/**
 * A sidecar issuance left `issuing` (its leader was deposed or died between minting and confirming): before minting
 * again, ask the sidecar whether it already holds that generation. If it does, the first push landed, so the
 * generation is confirmed from the status alone (no second secret_id; the token's accessor stays unknown, which is
 * fine for a sidecar: it revokes its own token when the pod stops). Otherwise the caller retries as for init mode,
 * and a sidecar that does hold it after all answers the push idempotently.
 */
export async function resumeInterruptedSidecar(
  deps: ReconcileDeps,
  entry: IssuanceEntry,
  podIp: string,
): Promise<boolean> {
  const answer = await askStatus(deps, podIp);
  if (answer.kind !== "status") return false;
  const { status } = answer;
  if (status.token !== "valid" || status.generation !== entry.generation) return false;
  const now = deps.clock.now();
  await deps.ledger.confirm(
    entry.uid,
    entry.restartCount,
    {
      ...(entry.generation > 0 ? { generation: entry.generation } : {}),
      mode: "sidecar",
      tokenTtlSeconds: status.ttlSeconds,
      tokenExpiresAt: now + status.ttlSeconds * 1000,
      tokenRenewable: status.renewable,
    },
    now,
  );
  deps.log.info("the sidecar already held the interrupted generation; confirmed without minting", {
    namespace: entry.namespace,
    pod: entry.name,
    restartCount: entry.restartCount,
    generation: entry.generation,
  });
  return true;
}
