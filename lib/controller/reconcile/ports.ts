/**
 * The small interfaces reconcile needs from its collaborators, so it can be tested with fakes and adapted to the
 * real modules (lib/kube, lib/vault, lib/metrics, lib/config) in one place.
 */
import type { PushConfirmation, PushRequest, TokenStatus } from "../../push/index.ts";
import type { EventReason } from "./events.ts";
import type { PodRef, PodView } from "./pod.ts";

/** Read-only view of the informer cache, by pod UID. */
export interface PodCache {
  get(uid: string): PodView | undefined;
  /**
   * When the informer last delivered this pod. Push latency starts here, not when a worker first looks at the pod,
   * so time spent waiting in the queue behind other pods is counted.
   */
  changedAt?(uid: string): number | undefined;
}

/** Records a Kubernetes Event on the pod; the sink aggregates repeats so a retrying pod does not spam. */
export interface EventSink {
  record(pod: PodRef, reason: EventReason, message: string): void;
}

export interface SecretIdRequest {
  metadata: Record<string, string>;
  cidrList: string[];
  numUses: number;
  ttlSeconds: number;
}

/** A response-wrapped secret_id. `wrappingToken` is a secret: never logged, never stored. */
export interface WrappedSecretId {
  wrappingToken: string;
  creationTime: string;
  ttlSeconds: number;
  /** Vault's `wrap_info.wrapped_accessor`: the secret_id's accessor. */
  secretIdAccessor?: string;
}

/** Vault's answer when it refused a request (4xx/5xx): the status and Vault's own error texts. */
export interface VaultRefusal {
  status: number;
  errors: string[];
}

export interface VaultOperations {
  createWrappedSecretId(
    role: string,
    request: SecretIdRequest,
    wrapTtlSeconds: number,
  ): Promise<WrappedSecretId>;
  revokeAccessor(accessor: string): Promise<void>;
  /** Destroys a secret_id that was minted but never confirmed used (its pod went away first). */
  destroySecretId(role: string, secretIdAccessor: string): Promise<void>;
  /** Recognises a refusal by Vault (as opposed to a network failure); lib/vault's VaultError. */
  refusalOf(error: unknown): VaultRefusal | undefined;
}

export type PushOutcome =
  /** The init's PushConfirmation: accessors and, from a sidecar, its mode, token lease and generation. */
  | ({ kind: "delivered" } & PushConfirmation)
  /** The init already holds credentials from an earlier push (e.g. sent by a previous leader). */
  | { kind: "already-delivered" }
  /**
   * `unreached`: the connection was refused or reset before any answer, so the init cannot have used the wrapping
   * token (a reset after the request was sent at worst makes the same token fail to unwrap, which is retried fresh).
   */
  | { kind: "failed"; retry: boolean; reason: string; unreached?: boolean };

export interface Pusher {
  push(podIp: string, request: PushRequest, signal: AbortSignal): Promise<PushOutcome>;
  /**
   * Whether the init container accepts connections yet. Asked before minting, so the start-up race (process
   * running, port not yet open) costs no secret_id. Optional: without it, every attempt mints and pushes.
   */
  listening?(
    podIp: string,
    signal: AbortSignal,
  ): Promise<{ listening: true } | { listening: false; reason: string }>;
  /**
   * A native sidecar's token standing (GET STATUS_PATH, same TLS and client certificate as the push). Optional:
   * without it every check counts as unreachable, so a sidecar is re-issued at each expiry.
   */
  status?(podIp: string, signal: AbortSignal): Promise<StatusAnswer>;
}

export type StatusAnswer = { kind: "status"; status: TokenStatus } | { kind: "unreachable"; reason: string };

/** What a status check found, as the `result` label of the status-check counter. */
export type StatusCheckResult = TokenStatus["token"] | "unreachable";

export interface ReconcileMetrics {
  secretIdRequested(role: string): void;
  secretIdRequestFailed(role: string): void;
  pushed(role: string): void;
  pushFailed(role: string): void;
  pushLatency(role: string, seconds: number): void;
  pushesInFlight(delta: 1 | -1): void;
  tokenRevoked(): void;
  tokenRevocationForbidden(): void;
  /** A sidecar's token standing was asked at its recorded expiry minus the margin. */
  sidecarStatusChecked(result: StatusCheckResult): void;
  /** A sidecar reported its token renewed beyond the expiry the ledger held. */
  sidecarRenewalObserved(role: string): void;
  /** A fresh secret_id was delivered to a sidecar as a new generation (its old token could not be renewed). */
  sidecarReissued(role: string): void;
  sidecarReissueFailed(role: string): void;
}

export interface AllowListDecision {
  allowed: boolean;
  reason: string;
}

/** Configuration-derived decisions, injected (lib/config's parsePodAnnotations and allowListDecision). */
export interface Policy {
  /** undefined when the pod is not ours; throws (with a message for the user) when an annotation is invalid. */
  parseAnnotations(annotations: Record<string, string>): { role: string; initContainer: string } | undefined;
  decide(request: { namespace: string; serviceAccount: string; role: string }): AllowListDecision;
}

export interface ReconcileSettings {
  vaultAddr: string;
  /** PEM bundle sent to the init container so it can trust Vault; undefined = the init's own trust store. */
  vaultCaPem?: string;
  wrapTtlSeconds: number;
  secretIdTtlSeconds: number;
  /** Bind the secret_id to the pod IP; off for networks that rewrite source addresses. */
  cidrBinding: boolean;
  revokeOnDelete: boolean;
  /**
   * SIDECAR_REISSUE_MARGIN: how long before a sidecar's token expires the leader looks at it (and re-issues when it
   * cannot be renewed). Capped at a quarter of the token's lease, so TTLs of a few seconds still work. Absent =
   * DEFAULT_SIDECAR_REISSUE_MARGIN_MS.
   */
  sidecarReissueMarginMs?: number;
}
