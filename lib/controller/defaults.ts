/**
 * Every tuning default of the controller core, in one place, each with the reason for its value.
 * Configuration (lib/config) may override the ones exposed as env variables; the rest are deliberate constants.
 */

/** First retry after a failure: small enough that a transient blip (a Vault leader change) costs nothing visible. */
export const RETRY_BASE_DELAY_MS = 5;
/**
 * Ceiling of the per-pod back-off. The init container gives up after TIMEOUT (5 min by default), so the ceiling
 * must leave many attempts inside that window; controller-runtime's 1000 s would outlive the pod's patience.
 */
export const RETRY_MAX_DELAY_MS = 30_000;
/**
 * Back-off is spread by up to this fraction (full delay minus up to 20 %), so a Vault outage that failed 100 pods at
 * once does not bring them all back in the same millisecond when it recovers.
 */
export const RETRY_JITTER_FRACTION = 0.2;

/** Reconciles in flight at once: matches PUSH_CONCURRENCY's default; each one mostly waits on Vault or a pod. */
export const DEFAULT_WORKERS = 16;
/** SIGTERM budget for in-flight pushes: well inside Kubernetes' 30 s terminationGracePeriodSeconds. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * An init container that runs but does not listen yet is normal for its first moments (process start, TLS key
 * generation); only after this long does the pod get a VaultPushFailed event saying nothing listens.
 */
export const INIT_LISTEN_GRACE_MS = 10_000;

/**
 * While an init container runs but does not listen yet (within INIT_LISTEN_GRACE_MS), look again after a quarter of
 * the time waited so far, within these bounds: the push lands at most ~25 % after the port opens, and a slow start
 * costs a handful of TCP connects rather than an exponential back-off that can overshoot by seconds.
 */
export const NOT_LISTENING_RECHECK_MIN_MS = 5;
export const NOT_LISTENING_RECHECK_MAX_MS = 250;

/**
 * A push whose connection was refused or reset never reached the init, so the same wrapping token is pushed again
 * after these pauses (~0.6 s in all) instead of minting a fresh secret_id after a back-off. Covers the race where the
 * init's listening probe succeeded but its TLS server was not ready, or a restart between probe and push.
 */
export const REPUSH_DELAYS_MS: readonly number[] = [5, 10, 20, 40, 80, 160, 320];

/** One push attempt: the init answers after an unwrap + login against Vault, which takes well under a second. */
export const PUSH_TIMEOUT_MS = 15_000;
/** The init's confirmation is a tiny JSON object; anything bigger is not an init container. */
export const PUSH_MAX_RESPONSE_BYTES = 64 * 1024;

/** Renew the controller's token at this fraction of its TTL, the original's rule: half the TTL is left to retry. */
export const TOKEN_RENEW_FRACTION = 0.5;
/** First retry of a failed renewal; doubles up to the ceiling below, never past the token's expiry. */
export const TOKEN_RETRY_BASE_MS = 1_000;
export const TOKEN_RETRY_MAX_MS = 60_000;
/**
 * Below this fraction of its period the token is in danger: log at error level on every failed renewal, because the
 * controller cannot log in again once the token expires (the original's failure mode, which it never announced).
 */
export const TOKEN_DANGER_FRACTION = 0.25;

/**
 * SIDECAR_REISSUE_MARGIN's default: a native sidecar's token is looked at (and re-issued if it cannot be renewed)
 * this long before it expires. 30 s covers a mint, a push and the sidecar's login many times over, even with Vault
 * slow; a short lease caps it (SIDECAR_MARGIN_LEASE_FRACTION) so a demo's few-second TTLs still work.
 */
export const DEFAULT_SIDECAR_REISSUE_MARGIN_MS = 30_000;
/**
 * The margin is at most this fraction of the token's lease. The sidecar renews at about 2/3 of its lease (1/3 left),
 * so a check at 1/4 left normally finds the renewal done; and 1/4 of a 4 s lease still leaves 1 s to re-issue.
 */
export const SIDECAR_MARGIN_LEASE_FRACTION = 0.25;
/**
 * A sidecar that says "valid" with less than half the margin left has not renewed in time: re-issue rather than wait
 * for it to run out. Above that, a "valid" whose lease ends inside the margin is looked at again after this long.
 */
export const SIDECAR_STATUS_RECHECK_MS = 250;
/**
 * A sidecar's GET /status answers from memory; a few seconds without an answer means it is not there, and the
 * re-issue that follows should still land inside the margin.
 */
export const STATUS_TIMEOUT_MS = 3_000;
