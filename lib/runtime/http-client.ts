/**
 * createHttpClient(): a fetch-shaped HTTPS client over node:https, for every outbound call in lib/ (Vault, pushes).
 *
 * Why not the global fetch: TLS options for fetch differ per runtime (Bun `tls`, Deno `createHttpClient`, Node undici),
 * and none binds a source address. node:https does all of it everywhere, and keeps connections alive.
 *
 * Contract:
 * - Server trust is explicit: a private CA bundle, the system roots, or a caller's check of the peer certificate
 *   (the init container's self-signed certificate can only be checked by its names).
 * - `localAddress` makes calls leave from that address, so a server can check it (Vault's secret_id `cidr_list`).
 * - Every request has a deadline (`timeoutMs`, or the caller's AbortSignal, whichever ends first).
 * - Responses are buffered up to `maxResponseBytes`; our peers answer small JSON documents.
 */
import http from "node:http";
import https from "node:https";
import type { SecureContext, TLSSocket } from "node:tls";

export type ServerTrust =
  | { kind: "system" }
  | { kind: "ca"; caPem: string }
  /** Skips chain verification and calls `check` with the peer's DER certificate; return an error text to refuse. */
  | { kind: "peer-check"; check: (certificateDer: Uint8Array) => string | undefined };

export interface HttpClientOptions {
  trust?: ServerTrust;
  clientCertPem?: string;
  clientKeyPem?: string;
  /**
   * A client TLS context built once by the caller (tls.createSecureContext with its certificate and key), used
   * instead of clientCertPem/clientKeyPem: a client made per request (the pusher's, one per pod) then does not
   * parse its PEM key again for every connection.
   */
  secureContext?: SecureContext;
  localAddress?: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
  keepAlive?: boolean;
}

export type HttpFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface HttpClient {
  fetch: HttpFetch;
  close(): void;
}

export class HttpClientError extends Error {
  constructor(
    message: string,
    readonly code: "timeout" | "connect" | "tls" | "peer-rejected" | "too-large" | "aborted",
    /** The system error code when there was one (ECONNREFUSED, ECONNRESET, ...): callers decide retries on it. */
    readonly errno?: string,
  ) {
    super(message);
    this.name = "HttpClientError";
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function bodyOf(init: RequestInit | undefined): Uint8Array | undefined {
  const body = init?.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("createHttpClient: body must be a string, Uint8Array or ArrayBuffer");
}

function classify(error: NodeJS.ErrnoException): HttpClientError {
  const code = error.code ?? "";
  const tlsProblem =
    code.startsWith("ERR_TLS") || /CERT|SSL|TLS|self.signed|verify/i.test(`${code} ${error.message}`);
  return new HttpClientError(error.message, tlsProblem ? "tls" : "connect", error.code);
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const trust = options.trust ?? { kind: "system" };
  const agentOptions: https.AgentOptions = {
    keepAlive: options.keepAlive ?? true,
    ...(trust.kind === "ca" ? { ca: trust.caPem } : {}),
    rejectUnauthorized: trust.kind !== "peer-check",
    ...(options.secureContext
      ? { secureContext: options.secureContext }
      : options.clientCertPem
        ? { cert: options.clientCertPem, key: options.clientKeyPem }
        : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  };
  const httpsAgent = new https.Agent(agentOptions);
  const httpAgent = new http.Agent({ keepAlive: options.keepAlive ?? true });
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  const send: HttpFetch = (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      if (init?.signal?.aborted) {
        reject(new HttpClientError(`request to ${url.host} was aborted before it started`, "aborted"));
        return;
      }
      const isHttps = url.protocol === "https:";
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const body = bodyOf(init);
      const headers = headersOf(init);
      if (body) headers["content-length"] = String(body.byteLength);
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        request.destroy();
        reject(error);
      };
      const request = (isHttps ? https : http).request(url, {
        method: init?.method ?? "GET",
        headers,
        agent: isHttps ? httpsAgent : httpAgent,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
      const timer = setTimeout(
        () => fail(new HttpClientError(`no answer from ${url.host} within ${timeoutMs} ms`, "timeout")),
        timeoutMs,
      );
      const onAbort = () => fail(new HttpClientError(`request to ${url.host} was aborted`, "aborted"));
      init?.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        init?.signal?.removeEventListener("abort", onAbort);
      };
      if (trust.kind === "peer-check" && isHttps) {
        request.on("socket", (socket) => {
          const tlsSocket = socket as TLSSocket;
          const checkPeer = () => {
            const raw = tlsSocket.getPeerCertificate?.()?.raw;
            const problem = raw ? trust.check(new Uint8Array(raw)) : "the server presented no certificate";
            if (problem) fail(new HttpClientError(problem, "peer-rejected"));
          };
          // A reused keep-alive socket was checked when it first connected.
          if (tlsSocket.encrypted && tlsSocket.getPeerCertificate?.()?.raw) checkPeer();
          else tlsSocket.once("secureConnect", checkPeer);
        });
      }
      request.on("error", (error: NodeJS.ErrnoException) => fail(classify(error)));
      request.on("response", (response) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        response.on("data", (chunk: Uint8Array) => {
          size += chunk.byteLength;
          if (size > maxBytes)
            fail(new HttpClientError(`response from ${url.host} exceeds ${maxBytes} bytes`, "too-large"));
          else chunks.push(chunk);
        });
        response.on("error", (error: NodeJS.ErrnoException) => fail(classify(error)));
        response.on("end", () => {
          if (settled) return;
          settled = true;
          cleanup();
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          const status = response.statusCode ?? 502;
          const nullBody = status === 204 || status === 304 || init?.method === "HEAD";
          resolve(
            new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }),
          );
        });
      });
      request.end(body);
    });

  return {
    fetch: send,
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}
