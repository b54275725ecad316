/**
 * A served pod is gone: revoke what it was given (when REVOKE_ON_DELETE), then forget it.
 *
 * Contract:
 * - Revokes the current token and every token delivered to earlier runs of its init container, by accessor.
 * - A secret_id minted but never confirmed (the pod went away mid-delivery) is destroyed by its accessor, so it cannot
 *   be used later; Vault answering 4xx there means it is already used or expired, which is just as good.
 * - Vault answering 403 (the controller's policy lacks auth/token/revoke-accessor) is warned about once per process,
 *   counted every time, and skipped: a missing permission must not block cleanup forever.
 * - Vault answering 400/404 means the token is already gone (expired or revoked): fine.
 * - Anything else (Vault unreachable, 5xx) throws, so the queue retries with back-off; the entry stays until done.
 */

import type { IssuanceEntry } from "../ledger/index.ts";
import { errorMessage } from "../support/errors.ts";
import type { ReconcileDeps } from "./deps.ts";

export interface CleanupState {
  warnedForbidden: boolean;
}

async function revokeOne(deps: ReconcileDeps, state: CleanupState, entry: IssuanceEntry, accessor: string) {
  try {
    await deps.vault.revokeAccessor(accessor);
    deps.metrics.tokenRevoked();
    return true;
  } catch (error) {
    const refusal = deps.vault.refusalOf(error);
    if (refusal?.status === 403) {
      deps.metrics.tokenRevocationForbidden();
      if (!state.warnedForbidden) {
        state.warnedForbidden = true;
        deps.log.warn(
          "Vault refused to revoke a deleted pod's token (403): grant the controller's Vault policy 'update' on auth/token/revoke-accessor, or set REVOKE_ON_DELETE=false. Further refusals are only counted in the metrics.",
          { namespace: entry.namespace, pod: entry.name, vaultErrors: refusal.errors },
        );
      }
      return false;
    }
    if (refusal && (refusal.status === 400 || refusal.status === 404)) {
      deps.log.debug("token already gone when revoking", { namespace: entry.namespace, pod: entry.name });
      return false;
    }
    throw new Error(
      `revoking the token of deleted pod ${entry.namespace}/${entry.name} failed: ${errorMessage(error)}`,
    );
  }
}

async function destroyUnconfirmedSecretId(deps: ReconcileDeps, entry: IssuanceEntry) {
  if (entry.state === "confirmed" || entry.state === "revoked" || !entry.secretIdAccessor) return;
  try {
    await deps.vault.destroySecretId(entry.role, entry.secretIdAccessor);
  } catch (error) {
    const refusal = deps.vault.refusalOf(error);
    if (refusal && refusal.status < 500) {
      deps.log.debug("unconfirmed secret_id already gone", { namespace: entry.namespace, pod: entry.name });
      return;
    }
    throw new Error(
      `destroying the unused secret_id of deleted pod ${entry.namespace}/${entry.name} failed: ${errorMessage(error)}`,
    );
  }
}

export async function cleanUpDeletedPod(deps: ReconcileDeps, state: CleanupState, entry: IssuanceEntry) {
  const accessors = [
    ...entry.supersededTokenAccessors,
    ...(entry.tokenAccessor ? [entry.tokenAccessor] : []),
  ];
  if (deps.settings.revokeOnDelete && accessors.length > 0 && entry.state !== "revoked") {
    let revoked = 0;
    for (const accessor of accessors) if (await revokeOne(deps, state, entry, accessor)) revoked++;
    if (revoked > 0) {
      deps.events.record(
        entry,
        "VaultTokenRevoked",
        `pod deleted: revoked ${revoked} Vault token(s) issued for AppRole "${entry.role}"`,
      );
      deps.log.info("revoked the tokens of a deleted pod", {
        namespace: entry.namespace,
        pod: entry.name,
        revoked,
      });
    }
  }
  if (deps.settings.revokeOnDelete) await destroyUnconfirmedSecretId(deps, entry);
  await deps.ledger.forget(entry.uid, deps.clock.now());
}
