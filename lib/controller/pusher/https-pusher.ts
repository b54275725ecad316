/**
 * The pusher: POSTs a PushRequest to `https://<podIP>:<INIT_PORT>/` and reads the init container's answer.
 *
 * Contract:
 * - Presents the controller's current client certificate (read per push, so a certificate renewed at half-life is
 *   used without a restart). Its TLS context is built once per certificate and shared by every push and status
 *   check, rather than parsing the PEM key again for each pod.
 * - Trusts the init's self-signed certificate only if it names the pod IP and is valid now (lib/push).
 * - A fresh connection per push: pod IPs are reused by later pods, so a kept-alive socket could reach the wrong one.
 * - Success is a 2xx WITH a valid PushConfirmation body, nothing less (the original accepted any status).
 * - Failure reasons are short texts for events; they never contain the wrapping token.
 * - `listening()` is a plain TCP connect, asked before minting (see listening-probe.ts).
 * - `status()` asks a native sidecar how its token stands (GET STATUS_PATH) over the same TLS, with the same client
 *   certificate and the same check of the init's certificate; anything but a 200 with a valid TokenStatus is
 *   "unreachable" (the caller then re-issues, which is safe: a sidecar holding a good token of that generation
 *   would not be asked again until the next expiry).
 */
import { createSecureContext, type SecureContext } from "node:tls";
import * as v from "valibot";
import {
  classifyPushAnswer,
  INIT_PORT,
  initCertificateCheck,
  PushConfirmationSchema,
  PushRejectionSchema,
  pushUrl,
  STATUS_PATH,
  TokenStatusSchema,
} from "../../push/index.ts";
import { createHttpClient, HttpClientError } from "../../runtime/index.ts";
import { PUSH_MAX_RESPONSE_BYTES, PUSH_TIMEOUT_MS, STATUS_TIMEOUT_MS } from "../defaults.ts";
import type { Pusher, PushOutcome, StatusAnswer } from "../reconcile/index.ts";
import { isListening } from "./listening-probe.ts";

export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

export interface HttpsPusherOptions {
  /** The controller's current client certificate, or undefined to push without one (the init then warns loudly). */
  identity: () => ClientIdentity | undefined;
  initPort?: number;
  /**
   * The address pushes (and listening probes) leave from: the controller's POD_IP, so the init sees the pod's
   * address rather than whatever the kernel picks (127.0.0.1 on loopback, a node address with some CNIs).
   */
  localAddress?: string;
  timeoutMs?: number;
  now?: () => Date;
}

/** Texts from the init end up in Kubernetes events; keep them short. */
const MAX_REASON_CHARS = 300;
const clip = (text: string) =>
  text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readAnswer(status: number, body: unknown): PushOutcome {
  if (status >= 200 && status < 300) {
    const confirmation = v.safeParse(PushConfirmationSchema, body);
    if (!confirmation.success)
      return {
        kind: "failed",
        retry: true,
        reason: `init answered HTTP ${status} without a valid confirmation body`,
      };
    return { kind: "delivered", ...confirmation.output };
  }
  const rejection = v.safeParse(PushRejectionSchema, body);
  const parsed = rejection.success ? rejection.output : undefined;
  const reason = clip(`init answered HTTP ${status}${parsed ? `: ${parsed.reason}: ${parsed.error}` : ""}`);
  switch (classifyPushAnswer(status, parsed)) {
    case "finished":
      return { kind: "already-delivered" };
    case "give-up":
      return { kind: "failed", retry: false, reason };
    default:
      return { kind: "failed", retry: true, reason };
  }
}

/** Connection-level refusals: the init never answered, so it cannot have unwrapped the token. */
const UNREACHED_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET"]);

/** A connect on loopback or a pod network answers in milliseconds; more means the address is black-holed. */
const LISTENING_PROBE_TIMEOUT_MS = 3_000;

const detailOf = (error: unknown) =>
  error instanceof HttpClientError ? `${error.code}: ${error.message}` : String(error);

/** One TLS context per client certificate: rebuilt only when the certificate keeper hands out a new one. */
function secureContextCache(identity: () => ClientIdentity | undefined) {
  let cached: { identity: ClientIdentity; context: SecureContext } | undefined;
  return (): SecureContext | undefined => {
    const current = identity();
    if (!current) return undefined;
    if (cached?.identity.certPem !== current.certPem || cached.identity.keyPem !== current.keyPem)
      cached = {
        identity: current,
        context: createSecureContext({ cert: current.certPem, key: current.keyPem }),
      };
    return cached.context;
  };
}

export function createHttpsPusher(options: HttpsPusherOptions): Pusher {
  const port = options.initPort ?? INIT_PORT;
  const secureContext = secureContextCache(options.identity);
  const clientFor = (podIp: string, timeoutMs = options.timeoutMs ?? PUSH_TIMEOUT_MS) => {
    const context = secureContext();
    return createHttpClient({
      trust: { kind: "peer-check", check: initCertificateCheck(podIp, options.now) },
      ...(context ? { secureContext: context } : {}),
      timeoutMs,
      maxResponseBytes: PUSH_MAX_RESPONSE_BYTES,
      keepAlive: false,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
  };
  return {
    listening: (podIp, signal) =>
      isListening(podIp, port, LISTENING_PROBE_TIMEOUT_MS, signal, options.localAddress),
    async push(podIp, request, signal) {
      // Stopped before building a TLS client, with a reason that says why (createHttpClient would refuse it too).
      if (signal.aborted)
        return { kind: "failed", retry: true, reason: "push aborted: leadership lost or shutting down" };
      const client = clientFor(podIp);
      try {
        const response = await client.fetch(pushUrl(podIp, port), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
          signal,
        });
        return readAnswer(response.status, parseJson(await response.text()));
      } catch (error) {
        const unreached =
          error instanceof HttpClientError && UNREACHED_ERRNOS.has(error.errno ?? "") && !signal.aborted;
        return {
          kind: "failed",
          retry: true,
          reason: clip(`could not reach the init container: ${detailOf(error)}`),
          ...(unreached ? { unreached } : {}),
        };
      } finally {
        client.close();
      }
    },
    async status(podIp, signal): Promise<StatusAnswer> {
      if (signal.aborted) return { kind: "unreachable", reason: "aborted: leadership lost or shutting down" };
      const client = clientFor(podIp, Math.min(STATUS_TIMEOUT_MS, options.timeoutMs ?? STATUS_TIMEOUT_MS));
      try {
        const url = new URL(STATUS_PATH, pushUrl(podIp, port)).toString();
        const response = await client.fetch(url, { method: "GET", signal });
        const body = parseJson(await response.text());
        if (response.status !== 200)
          return {
            kind: "unreachable",
            reason: `the sidecar answered HTTP ${response.status} to GET ${STATUS_PATH}`,
          };
        const parsed = v.safeParse(TokenStatusSchema, body);
        if (!parsed.success)
          return { kind: "unreachable", reason: `the sidecar's ${STATUS_PATH} answer is not a token status` };
        return { kind: "status", status: parsed.output };
      } catch (error) {
        return { kind: "unreachable", reason: clip(`could not reach the sidecar: ${detailOf(error)}`) };
      } finally {
        client.close();
      }
    },
  };
}
