/**
 * Every Kubernetes Event reason the controller emits, in one append-only table: dashboards and alerts match on
 * these strings, and `kubectl describe pod` shows them to the user of a stuck pod.
 */
export type EventType = "Normal" | "Warning";

export const EVENT_REASONS = {
  /** The init container confirmed it received (and, by default, used) its secret_id. */
  VaultTokenDelivered: "Normal",
  /** The allow-list does not let this namespace/service account use the requested AppRole. */
  VaultRoleNotAllowed: "Warning",
  /** Vault refused to mint a secret_id; the message carries Vault's own words. */
  VaultSecretIdDenied: "Warning",
  /** Vault could not be reached (or failed) while minting; retried with back-off. */
  VaultUnavailable: "Warning",
  /** The push to the init container failed; the message says why. Retried while the init container runs. */
  VaultPushFailed: "Warning",
  /** The pod is gone and the tokens delivered to it were revoked. */
  VaultTokenRevoked: "Normal",
  /** A vault annotation is present but unusable. */
  InvalidVaultAnnotation: "Warning",
  /** A native sidecar's token could no longer be renewed, and the controller delivered a fresh one (a new generation). */
  VaultTokenReissued: "Normal",
  /** A re-issue to a native sidecar failed (minting or pushing); retried with back-off while its old token lasts. */
  VaultTokenReissueFailed: "Warning",
  /** The vault init container's restartPolicy and MODE disagree about running as a native sidecar; no secret_id. */
  InvalidVaultSidecar: "Warning",
} as const satisfies Record<string, EventType>;

export type EventReason = keyof typeof EVENT_REASONS;
