/**
 * The init container's HTTP surface as a value: `createInitApp(deps).app.fetch(request, {remoteAddress})`.
 * Ports are bound elsewhere (run.ts), so tests drive it with `app.request()`.
 *
 * Contract:
 * - Only `POST /` with an `application/json` body of at most MAX_PUSH_BODY_BYTES is a push. Wrong path 404, wrong
 *   method 405, wrong media type or invalid body 400, oversize 413. Every refusal is a PushRejection, is logged
 *   with its reason and the caller's address, and leaves the init waiting for the next push.
 * - Pushes are verified (their wrapping token looked up in Vault) side by side, up to MAX_PUSHES_VERIFYING at once;
 *   only spending a wrapping token (unwrap, login, write) is one push at a time, through the ExchangeSlot. Why: with
 *   a single slot for the whole exchange, a push naming a Vault that never answers (a stale or forged vaultAddr)
 *   held it for its whole lookup and turned the genuine controller away with 409 meanwhile. Now the genuine push
 *   is looked up beside it and takes the slot; the stalled lookup is bounded anyway (WRAPPING_LOOKUP_DEADLINE_MS,
 *   vault-client.ts). A verified push that finds the slot taken gets 409 with its token unspent (retry shortly).
 * - After a push succeeded, later ones get 410 (the pod already has its credentials), and lookups still under way
 *   are called off and answered 410 as well, so none of them delays the init's exit.
 * - Success answers 200 with the PushConfirmation, whose body reports through `onDelivered` once the server has
 *   taken all of it, so the caller can stop the server and exit without cutting the answer off.
 * - `admit` (sidecar mode) replaces "after a success, 410": it decides each valid push before and after its lookup
 *   (exchange it, answer a confirmation without spending it, or refuse it), and `status` serves GET STATUS_PATH.
 *   A lookup is called off once its push could no longer be exchanged (`admit` stopped saying "exchange").
 */
import { Hono } from "hono";
import type { Logger } from "../log/index.ts";
import {
  MAX_PUSH_BODY_BYTES,
  PUSH_PATH,
  type PushConfirmation,
  type PushRejection,
  type PushRejectionReason,
  type PushRequest,
  parsePushRequest,
  REJECTION_STATUS,
  STATUS_PATH,
  type TokenStatus,
} from "../push/index.ts";
import type { ExchangeOutcome, ExchangeSlot } from "./exchange.ts";
import { readBodyWithLimit } from "./read-body.ts";

export type InitPhase = "waiting" | "exchanging" | "delivered";

/**
 * The controller sends one push per pod at a time, two or three around a leader change; far more at once is not
 * the controller. Each one waiting on Vault costs a socket and a few KB, so this bounds what a flood can hold.
 */
export const MAX_PUSHES_VERIFYING = 8;

const ALREADY_DELIVERED = "this pod already received its credentials";
const SLOT_TAKEN = "another push is being exchanged right now; retry in a moment";

/** What to do with a valid push: spend it, answer without spending it, or refuse it. */
export type Admission =
  | { kind: "exchange" }
  | { kind: "confirm"; confirmation: PushConfirmation }
  | { kind: "refuse"; refusal: PushRejection };

export interface InitAppDeps {
  /** Must call `slot.claim()` before spending the wrapping token, and deliver nothing unless it got the slot. */
  exchange(push: PushRequest, slot: ExchangeSlot): Promise<ExchangeOutcome>;
  log: Logger;
  maxBodyBytes?: number;
  onRejected?(rejection: PushRejection): void;
  /** `sent` settles once the engine has read the whole success body. */
  onDelivered?(confirmation: PushConfirmation, sent: Promise<void>): void;
  /** Sidecar mode: decides each push (default: exchange until one delivered, then 410 already-delivered). */
  admit?(push: PushRequest): Admission;
  /** Sidecar mode: the answer of GET STATUS_PATH (404 without it). */
  status?(): TokenStatus;
}

export interface ConnectionEnv {
  remoteAddress?: string;
}

export interface InitApp {
  app: Hono<{ Bindings: ConnectionEnv }>;
  phase(): InitPhase;
  /** Pushes being looked up in Vault right now, not yet holding the slot. */
  verifying(): number;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** A body stream that reports when the engine has consumed it: the closest portable signal of "sent". */
function trackedJson(value: unknown): { response: Response; sent: Promise<void> } {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let markSent = () => {};
  const sent = new Promise<void>((resolve) => {
    markSent = resolve;
  });
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(bytes);
      controller.close();
      markSent();
    },
    cancel() {
      markSent();
    },
  });
  const headers = { "content-type": "application/json", "content-length": String(bytes.byteLength) };
  return { response: new Response(body, { status: 200, headers }), sent };
}

export function createInitApp(deps: InitAppDeps): InitApp {
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_PUSH_BODY_BYTES;
  let phase: InitPhase = "waiting";
  let verifying = 0;
  let everDelivered = false;
  /** The lookups under way, each with the means to call it off. */
  const lookups = new Map<AbortController, PushRequest>();
  const currentPhase = (): InitPhase => phase;
  const app = new Hono<{ Bindings: ConnectionEnv }>();
  const admit =
    deps.admit ??
    ((): Admission =>
      phase === "delivered"
        ? { kind: "refuse", refusal: { reason: "already-delivered", error: ALREADY_DELIVERED } }
        : { kind: "exchange" });

  const reject = (from: string | undefined, reason: PushRejectionReason, error: string): Response => {
    const rejection: PushRejection = { reason, error };
    const message =
      phase === "delivered"
        ? "push refused; credentials already delivered"
        : "push refused; still waiting for a valid one";
    deps.log.warn(message, { reason, error, from: from ?? "unknown" });
    deps.onRejected?.(rejection);
    return Response.json(rejection, { status: REJECTION_STATUS[reason] });
  };
  /** A push answered without being exchanged: the held token's confirmation, or a refusal. */
  const settle = (from: string | undefined, admission: Admission): Response | undefined => {
    if (admission.kind === "exchange") return undefined;
    if (admission.kind === "refuse") return reject(from, admission.refusal.reason, admission.refusal.error);
    deps.log.info("push repeats the generation already held; answered its confirmation without a login", {
      from: from ?? "unknown",
      generation: admission.confirmation.generation,
    });
    return Response.json(admission.confirmation);
  };

  // The body is read and validated before the push counts as verifying, so a slow or bogus sender holds nothing.
  app.post(PUSH_PATH, async (c) => {
    const from = c.env?.remoteAddress;
    if (!deps.admit && phase === "delivered") return reject(from, "already-delivered", ALREADY_DELIVERED);
    const contentType = c.req.header("content-type") ?? "";
    if (!JSON_MEDIA_TYPE.test(contentType))
      return reject(
        from,
        "unsupported-media-type",
        `Content-Type must be application/json, not "${contentType.slice(0, 80)}"`,
      );
    const body = await readBodyWithLimit(c.req.raw, maxBodyBytes);
    if (!body.ok) return reject(from, "too-large", `the body exceeds ${maxBodyBytes} bytes`);
    let decoded: unknown;
    try {
      decoded = JSON.parse(body.text);
    } catch {
      return reject(from, "malformed", "the body is not valid JSON");
    }
    const parsed = parsePushRequest(decoded);
    if (!parsed.ok) return reject(from, "malformed", parsed.problems.join("; "));
    const push = parsed.push;
    // Re-decided after reading: another push may have delivered while this body was being read.
    const early = settle(from, admit(push));
    if (early) return early;
    if (verifying >= MAX_PUSHES_VERIFYING)
      return reject(
        from,
        "busy",
        `${MAX_PUSHES_VERIFYING} pushes are being checked with Vault right now; retry in a moment`,
      );
    verifying += 1;
    let claimed = false;
    const callOff = new AbortController();
    lookups.set(callOff, push);
    const slot: ExchangeSlot = {
      cancelled: callOff.signal,
      claim: () => {
        if (claimed) return undefined;
        const admission = admit(push);
        if (admission.kind === "refuse") return admission.refusal;
        if (admission.kind === "confirm") return { reason: "already-delivered", error: ALREADY_DELIVERED };
        if (phase === "exchanging") return { reason: "busy", error: SLOT_TAKEN };
        claimed = true;
        verifying -= 1;
        lookups.delete(callOff);
        phase = "exchanging";
        return undefined;
      },
    };
    let outcome: ExchangeOutcome;
    try {
      deps.log.info("push received; verifying it with Vault", {
        from: from ?? "unknown",
        vaultAddr: push.vaultAddr,
        ...(push.generation !== undefined ? { generation: push.generation } : {}),
      });
      outcome = await deps.exchange(push, slot);
    } finally {
      lookups.delete(callOff);
      if (claimed) phase = everDelivered ? "delivered" : "waiting";
      else verifying -= 1;
    }
    if (!outcome.ok) {
      // Decided otherwise meanwhile (another push delivered): say that, not "Vault unavailable".
      if (!claimed) {
        const late = settle(from, admit(push));
        if (late) return late;
      }
      return reject(from, outcome.refusal.reason, outcome.refusal.error);
    }
    if (!claimed) {
      deps.log.error("an exchange reported success without holding the slot; refusing it");
      return reject(from, "internal-error", "internal error while handling the push");
    }
    phase = "delivered";
    everDelivered = true;
    for (const [controller, waiting] of lookups) if (admit(waiting).kind !== "exchange") controller.abort();
    deps.log.info("credentials written", { paths: outcome.paths, ...outcome.confirmation });
    const { response, sent } = trackedJson(outcome.confirmation);
    deps.onDelivered?.(outcome.confirmation, sent);
    return response;
  });
  if (deps.status) {
    const status = deps.status;
    app.get(STATUS_PATH, (c) => c.json(status()));
  }
  app.all(PUSH_PATH, (c) => {
    const response = reject(
      c.env?.remoteAddress,
      "method-not-allowed",
      `${c.req.method} is not allowed; use POST`,
    );
    response.headers.set("allow", "POST");
    return response;
  });
  app.notFound((c) =>
    reject(
      c.env?.remoteAddress,
      "not-found",
      deps.status ? "the endpoints are POST / and GET /status" : "the only endpoint is POST /",
    ),
  );
  app.onError((error, c) => {
    deps.log.error("push handler failed", { error });
    return reject(c.env?.remoteAddress, "internal-error", "internal error while handling the push");
  });
  return { app, phase: currentPhase, verifying: () => verifying };
}
