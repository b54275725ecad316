/**
 * Opening a message stream over node:http / node:https: a GET whose response body is read chunk by chunk as it
 * arrives, for as long as it lasts. lib/runtime's createHttpClient buffers whole responses, which a stream never
 * ends; node's client streams under Bun, Node and Deno alike and takes the same TLS options (CA, client
 * certificate), where fetch's differ per runtime.
 *
 * Each stream has a connection of its own (no keep-alive pool): it holds the socket for its whole life anyway.
 */
import http from "node:http";
import https from "node:https";

export interface StreamOpenRequest {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** The answer's status and headers, before any chunk. */
  onResponse(status: number, header: (name: string) => string | undefined): void;
  onChunk(chunk: Uint8Array): void;
  /** Called once: the stream is over. `connected` is false when no answer ever came (the peer is unreachable). */
  onEnd(error: Error | undefined, connected: boolean): void;
}

export type StreamOpen = (request: StreamOpenRequest) => void;

export interface StreamTls {
  caPem?: string;
  certPem?: string;
  keyPem?: string;
}

/** A StreamOpen over node:http(s); `tls` applies to https URLs (mutual TLS when it has a certificate). */
export function createStreamOpen(tls?: StreamTls): StreamOpen {
  return (request) => {
    const url = new URL(request.url);
    let ended = false;
    let connected = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      request.signal.removeEventListener("abort", onAbort);
      outgoing.destroy();
      request.onEnd(error, connected);
    };
    const onAbort = () => end(new Error("stream closed by this node"));
    const options = { method: "GET", headers: request.headers, agent: false } as const;
    const outgoing =
      url.protocol === "https:"
        ? https.request(url, {
            ...options,
            ...(tls?.caPem ? { ca: tls.caPem } : {}),
            ...(tls?.certPem ? { cert: tls.certPem, key: tls.keyPem } : {}),
          })
        : http.request(url, options);
    if (request.signal.aborted) {
      queueMicrotask(onAbort);
      return;
    }
    request.signal.addEventListener("abort", onAbort, { once: true });
    outgoing.on("error", (error) => end(error));
    outgoing.on("response", (response) => {
      connected = true;
      const header = (name: string) => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      };
      request.onResponse(response.statusCode ?? 502, header);
      if (ended) return;
      response.on("data", (chunk: Uint8Array) => {
        if (!ended) request.onChunk(chunk);
      });
      response.on("error", (error) => end(error));
      response.on("end", () => end());
      response.on("close", () => end(new Error("the peer closed the stream")));
    });
    outgoing.end();
  };
}
