/**
 * KubeTransport: JSON requests and watch streams to the API server, authenticated by client-node's KubeConfig
 * (CA, bearer token or token file, client certificate, exec plugins) but carried by node:https ourselves.
 *
 * Why not client-node's generated API and informer: they turn every pod into a full V1Pod model and keep them all;
 * we parse each list page or watch line once and keep only a slim record (see slim-pod.ts), which is what keeps
 * 10,000 cached pods inside the memory budget.
 *
 * Contract: `request` buffers the answer (up to MAX_RESPONSE_BYTES) and returns status plus parsed JSON (undefined
 * for an empty body); `stream` calls `onLine` per newline-delimited line until the server ends the response, the
 * signal aborts, or a network error, and resolves with how it ended. Neither throws on an HTTP status; both reject
 * only on network/TLS failures.
 */
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface KubeRequest {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type StreamEnd =
  | { kind: "ended" }
  | { kind: "status"; status: number; body: unknown }
  | { kind: "aborted" };

export interface KubeTransport {
  readonly server: string;
  request(path: string, request?: KubeRequest): Promise<KubeResponse>;
  stream(
    path: string,
    query: KubeRequest["query"],
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<StreamEnd>;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

function urlFor(server: string, path: string, query: KubeRequest["query"]): URL {
  const url = new URL(server.replace(/\/$/, "") + path);
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) url.searchParams.set(key, String(value));
  return url;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function createKubeTransport(config: KubeConfig): KubeTransport {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const server = cluster.server;

  let keepAliveAgent: https.Agent | undefined;

  /**
   * client-node fills in the TLS material and the Authorization header (re-reading a token file as it rotates). It
   * also makes a fresh Agent every call, which would cost a TLS handshake per request; we keep one keep-alive
   * Agent built from the same material instead.
   */
  const open = async (url: URL, method: string, headers: Record<string, string>) => {
    const options: https.RequestOptions = { method, headers: { accept: "application/json", ...headers } };
    await config.applyToHTTPSOptions(options);
    if (url.protocol === "http:") return http.request(url, { method, headers: options.headers });
    keepAliveAgent ??= new https.Agent({
      keepAlive: true,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
      ...(options.servername ? { servername: options.servername } : {}),
    });
    return https.request(url, { ...options, agent: keepAliveAgent });
  };

  return {
    server,
    async request(path, request = {}) {
      const url = urlFor(server, path, request.query);
      const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
      const headers: Record<string, string> = payload
        ? {
            "content-type": request.contentType ?? "application/json",
            "content-length": String(Buffer.byteLength(payload)),
          }
        : {};
      const outgoing = await open(url, request.method ?? "GET", headers);
      return await new Promise<KubeResponse>((resolve, reject) => {
        const timeout = setTimeout(
          () =>
            outgoing.destroy(
              new Error(
                `no answer from ${url.pathname} within ${request.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
              ),
            ),
          request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        );
        const abort = () => outgoing.destroy(new Error("aborted"));
        request.signal?.addEventListener("abort", abort, { once: true });
        const finish = () => {
          clearTimeout(timeout);
          request.signal?.removeEventListener("abort", abort);
        };
        outgoing.on("error", (error) => {
          finish();
          reject(error);
        });
        outgoing.on("response", (incoming) => {
          const chunks: Buffer[] = [];
          let size = 0;
          incoming.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES)
              outgoing.destroy(new Error(`answer from ${url.pathname} is too large`));
            else chunks.push(chunk);
          });
          incoming.on("error", (error) => {
            finish();
            reject(error);
          });
          incoming.on("end", () => {
            finish();
            resolve({
              status: incoming.statusCode ?? 0,
              body: parseJson(Buffer.concat(chunks).toString("utf8")),
            });
          });
        });
        outgoing.end(payload);
      });
    },
    async stream(path, query, onLine, signal) {
      const url = urlFor(server, path, query);
      const outgoing = await open(url, "GET", {});
      return await new Promise<StreamEnd>((resolve, reject) => {
        let settled = false;
        const settle = (end: StreamEnd | Error) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener("abort", abort);
          if (end instanceof Error) reject(end);
          else resolve(end);
        };
        const abort = () => {
          outgoing.destroy();
          settle({ kind: "aborted" });
        };
        if (signal.aborted) return abort();
        signal.addEventListener("abort", abort, { once: true });
        outgoing.on("error", (error) => settle(signal.aborted ? { kind: "aborted" } : error));
        outgoing.on("response", (incoming) => {
          let buffered = "";
          const status = incoming.statusCode ?? 0;
          incoming.setEncoding("utf8");
          incoming.on("data", (chunk: string) => {
            buffered += chunk;
            if (status !== 200) return;
            let newline = buffered.indexOf("\n");
            while (newline >= 0) {
              const line = buffered.slice(0, newline);
              buffered = buffered.slice(newline + 1);
              if (line.trim() !== "") onLine(line);
              newline = buffered.indexOf("\n");
            }
          });
          incoming.on("error", (error) => settle(signal.aborted ? { kind: "aborted" } : error));
          incoming.on("close", () => settle(signal.aborted ? { kind: "aborted" } : { kind: "ended" }));
          incoming.on("end", () => {
            if (status !== 200) settle({ kind: "status", status, body: parseJson(buffered) });
            else {
              if (buffered.trim() !== "") onLine(buffered);
              settle({ kind: "ended" });
            }
          });
        });
        outgoing.end();
      });
    },
  };
}
