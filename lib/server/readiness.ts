/**
 * Readiness checks for /readyz, in Kubernetes' own style (`[+]name ok` / `[-]name failed: reason`), so an operator
 * reading a failed probe learns which condition is missing.
 *
 * Contract: each check answers ok or a reason; a check that throws or takes longer than CHECK_TIMEOUT_MS counts as
 * failed (a hung dependency must not hang the kubelet's probe). Checks run concurrently.
 */
export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface ReadinessCheck {
  /** Short, stable, shown in the probe's body: "pod-cache", "vault-token". */
  name: string;
  check(): CheckResult | Promise<CheckResult>;
}

export interface ReadinessReport {
  ready: boolean;
  lines: string[];
}

export const CHECK_TIMEOUT_MS = 2_000;

async function run(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function evaluateReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map((check) => run(check, timeoutMs)));
  const lines = checks.map((check, index) => {
    const result = results[index] ?? { ok: false, reason: "not run" };
    return result.ok ? `[+]${check.name} ok` : `[-]${check.name} failed: ${result.reason}`;
  });
  return { ready: results.every((result) => result.ok), lines };
}

/** The pod informer has delivered its first full list (reconciling earlier would treat every pod as new). */
export function cachesSyncedCheck(caches: { hasSynced(): boolean }): ReadinessCheck {
  return {
    name: "pod-cache",
    check: () =>
      caches.hasSynced()
        ? { ok: true }
        : { ok: false, reason: "the pod cache has not finished its first list and indexing" },
  };
}

/** The controller's Vault token is known valid: `expiresAtMs` from the token keeper, undefined before the first lookup. */
export function vaultTokenCheck(
  token: { expiresAtMs(): number | undefined },
  now: () => number,
): ReadinessCheck {
  return {
    name: "vault-token",
    check() {
      const expiresAt = token.expiresAtMs();
      if (expiresAt === undefined) return { ok: false, reason: "the Vault token has not been looked up yet" };
      if (expiresAt <= now())
        return { ok: false, reason: "the Vault token has expired; give the controller a new VAULT_TOKEN" };
      return { ok: true };
    },
  };
}
