/**
 * The portable engine behind serve(): node:http / node:https adapted to a Web `fetch` handler.
 * Used under Deno and Node; under Bun only when a test forces it.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { EngineServer, ServeOptions, ServerTls } from "./serve.ts";

function toRequest(req: http.IncomingMessage, origin: string, limit: number): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  let seen = 0;
  const body = hasBody
    ? (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            seen += chunk.byteLength;
            if (seen > limit) controller.error(new Error("request body too large"));
            else controller.enqueue(chunk);
          },
        }),
      )
    : null;
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body,
    ...(body ? { duplex: "half" } : {}),
  } as RequestInit);
}

async function writeResponse(response: Response, res: http.ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.appendHeader(name, value);
  });
  if (!response.body) {
    res.end();
    return;
  }
  // Send the headers now: a streamed body (a Kubernetes watch) may stay silent for minutes, and clients wait for
  // the status line before reading events.
  res.flushHeaders();
  const reader = response.body.getReader();
  // A client that hangs up ends the stream, so its producer can release what it holds.
  res.once("close", () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}

export async function serveWithNode(options: ServeOptions, reusePort: boolean): Promise<EngineServer> {
  const scheme = options.tls ? "https" : "http";
  const limit = options.maxRequestBodyBytes ?? Number.MAX_SAFE_INTEGER;
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      res.statusCode = 413;
      res.end("request body too large\n");
      req.destroy();
      return;
    }
    const request = toRequest(req, `${scheme}://${req.headers.host ?? "localhost"}`, limit);
    Promise.resolve(options.fetch(request, { remoteAddress: req.socket.remoteAddress ?? "" }))
      .then((response) => writeResponse(response, res))
      .catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  };
  const createServer = (tls: ServerTls | undefined) =>
    tls
      ? https.createServer(
          {
            cert: tls.certPem,
            key: tls.keyPem,
            ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
            requestCert: tls.requireClientCert === true,
            rejectUnauthorized: tls.requireClientCert === true,
          },
          listener,
        )
      : http.createServer(listener);
  const listen = (server: http.Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: options.hostname, port, reusePort }, () => resolve());
    });
  const close = (server: http.Server, force: boolean) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (force) server.closeAllConnections();
      else server.closeIdleConnections();
    });
  let server = createServer(options.tls);
  await listen(server, options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    stop: (force) => close(server, force),
    async replaceTls(tls) {
      const current = server as https.Server;
      if (typeof current.setSecureContext === "function") {
        current.setSecureContext({
          cert: tls.certPem,
          key: tls.keyPem,
          ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
        });
        return;
      }
      await close(current, false);
      server = createServer(tls);
      await listen(server, port);
    },
  };
}
