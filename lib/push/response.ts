/**
 * What an init container answers to a push, and how the controller should read that answer.
 *
 * Contract:
 * - 200 carries a `PushConfirmation` (accessors only, never a secret) so the controller can record what it handed out
 *   and revoke it later. `tokenAccessor` is absent when the init does not log in (RETRIEVE_TOKEN=false);
 *   `secretIdAccessor` is absent when it does not unwrap (UNWRAP_SECRET=false), because only unwrapping reveals it.
 * - Every other status carries a `PushRejection` whose `reason` is one of a fixed, append-only list.
 * - `classifyPushAnswer` is the one place that decides what the controller does next; the original treated
 *   any status as success (flaw 8).
 */
import * as v from "valibot";

const seconds = v.pipe(v.number(), v.integer(), v.minValue(0));

export const PushConfirmationSchema = v.object({
  tokenAccessor: v.optional(v.pipe(v.string(), v.minLength(1))),
  secretIdAccessor: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** "sidecar" from an init in MODE=sidecar; absent (read as "init") from init mode and the original. */
  mode: v.optional(v.picklist(["init", "sidecar"])),
  /**
   * The token's remaining lease in seconds as Vault granted it, counted from this answer (relative, so the
   * controller needs no clock agreement with the pod). Absent when no token was retrieved.
   */
  tokenTtlSeconds: v.optional(seconds),
  tokenRenewable: v.optional(v.boolean()),
  /** The generation of the token held (sidecar mode), echoing the push's. */
  generation: v.optional(seconds),
});
export type PushConfirmation = v.InferOutput<typeof PushConfirmationSchema>;

/**
 * What a sidecar answers on GET STATUS_PATH: the standing of the token on disk, so the controller, at the expiry
 * it recorded, can tell a renewed token (look again later) from one that can no longer be renewed (re-issue now).
 * - valid: a token is on disk and the sidecar expects to renew it (or its lease outlives the controller's margin);
 * - expiring: a token is on disk but renewal has ended (max TTL reached, or Vault refused a renewal);
 * - none: no usable token (never pushed, expired, or revoked).
 */
export const TokenStatusSchema = v.object({
  mode: v.literal("sidecar"),
  token: v.picklist(["valid", "expiring", "none"]),
  /** Remaining lease in seconds, counted from this answer; 0 when `token` is "none". */
  ttlSeconds: seconds,
  renewable: v.boolean(),
  /** The generation of the token held; absent when none was ever delivered to this run. */
  generation: v.optional(seconds),
});
export type TokenStatus = v.InferOutput<typeof TokenStatusSchema>;

/** Append-only: controllers of other versions match on these strings. */
export const PUSH_REJECTION_REASONS = [
  "not-found",
  "method-not-allowed",
  "unsupported-media-type",
  "malformed",
  "too-large",
  "vault-addr-mismatch",
  "wrapping-token-invalid",
  "creation-path-mismatch",
  "wrapping-token-expired",
  "busy",
  "already-delivered",
  "vault-unavailable",
  "unwrap-failed",
  "login-failed",
  "write-failed",
  "internal-error",
] as const;
export type PushRejectionReason = (typeof PUSH_REJECTION_REASONS)[number];

export const PushRejectionSchema = v.object({
  reason: v.picklist(PUSH_REJECTION_REASONS),
  /** Human text for logs and Kubernetes events; never contains a token or secret_id. */
  error: v.string(),
});
export type PushRejection = v.InferOutput<typeof PushRejectionSchema>;

export const REJECTION_STATUS: Record<PushRejectionReason, number> = {
  "not-found": 404,
  "method-not-allowed": 405,
  "unsupported-media-type": 400,
  malformed: 400,
  "too-large": 413,
  "vault-addr-mismatch": 403,
  "wrapping-token-invalid": 403,
  "creation-path-mismatch": 403,
  "wrapping-token-expired": 403,
  busy: 409,
  "already-delivered": 410,
  "vault-unavailable": 502,
  "unwrap-failed": 502,
  "login-failed": 502,
  "write-failed": 500,
  "internal-error": 500,
};

/**
 * - delivered: record the confirmation, done.
 * - retry-same: the init is busy with another push; retry this one shortly while its wrapping TTL lasts.
 * - retry-fresh: this wrapping token is spent or failed; mint a new secret_id and push again (with back-off).
 * - give-up: retrying cannot help until someone changes configuration; report it on the pod.
 * - finished: the pod already holds credentials from an earlier push (for example from a previous leader).
 */
export type PushAnswerAction = "delivered" | "retry-same" | "retry-fresh" | "give-up" | "finished";

export function classifyPushAnswer(status: number, rejection?: PushRejection): PushAnswerAction {
  if (status === 200) return "delivered";
  switch (rejection?.reason) {
    case "busy":
      return "retry-same";
    case "already-delivered":
      return "finished";
    case "wrapping-token-invalid":
    case "wrapping-token-expired":
    case "vault-unavailable":
    case "unwrap-failed":
    case "login-failed":
    case "write-failed":
    case "internal-error":
      return "retry-fresh";
    case undefined:
      if (status === 409 || status === 503) return "retry-same";
      return status >= 500 ? "retry-fresh" : "give-up";
    default:
      return "give-up";
  }
}
