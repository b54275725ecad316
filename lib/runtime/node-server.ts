/**
 * The portable engine behind serve(): node:http / node:https adapted to a Web `fetch` handler.
 * Used under Deno and Node; under Bun only when a test forces it.
 *
 * It holds the limits of limits.ts with its own code, not only through node's server options, because Deno's and
 * Bun's node:http honour just part of them (measured on Deno 2.9 and Bun 1.4: Deno closed a slowloris connection
 * after ~90 s whatever headersTimeout said, Bun ignores maxConnections, neither caps a chunked body):
 * - header size: the parser's maxHeaderSize (honoured by both), answered 431 from "clientError";
 * - connections: counted on "connection"; one beyond the cap is destroyed as soon as it is accepted;
 * - headers and idle timeouts: one timer per connection, armed when it opens and whenever it falls idle, cleared
 *   by a request's complete headers;
 * - request timeout: armed at the headers, cleared once the body has been received (a response may then stream
 *   for as long as it likes: Kubernetes watches do);
 * - body: a declared length over the limit is answered 413 before any byte is read; a chunked one is counted as
 *   it arrives from the socket and answered 413 the moment it passes the limit; the body is pulled from the socket
 *   only as fast as the handler reads it (BODY_READ_AHEAD_BYTES ahead at most).
 * A response sent before its request's body was received whole says `connection: close` and the connection is
 * closed, so a refused upload cannot go on streaming into the server (Bun.serve does the same).
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { resolveLimits, type ServerLimits } from "./limits.ts";
import type { EngineServer, ServeOptions, ServerTls } from "./serve.ts";

/**
 * How far the engine reads a body ahead of the handler: one socket read (64 KiB) keeps a loopback upload at full
 * speed, and a handler that never reads its body costs no more than this.
 */
const BODY_READ_AHEAD_BYTES = 64 * 1024;

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
};

/** The remote address and port: the one identity a raw socket and its TLS socket share under every runtime. */
const connectionKey = (socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }) =>
  `${socket.remoteAddress}|${socket.remotePort}`;

interface TrackedConnection {
  socket: Socket;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Requests whose response has not finished. */
  active: number;
}

interface ConnectionGuard {
  onConnection(socket: Socket): void;
  /** A request's headers are complete. `onTimeout` runs if its body is not received within the request timeout. */
  onRequest(req: http.IncomingMessage, res: http.ServerResponse, onTimeout: () => void): void;
}

function createConnectionGuard(limits: Readonly<ServerLimits>): ConnectionGuard {
  const open = new Map<string, TrackedConnection>();
  let count = 0;
  const arm = (tracked: TrackedConnection, ms: number, fire: () => void) => {
    clearTimeout(tracked.timer);
    tracked.timer = setTimeout(fire, ms);
  };
  return {
    onConnection(socket) {
      if (count >= limits.maxConnections) {
        socket.destroy();
        return;
      }
      count++;
      const key = connectionKey(socket);
      const tracked: TrackedConnection = { socket, timer: undefined, active: 0 };
      open.set(key, tracked);
      arm(tracked, limits.headersTimeoutMs, () => socket.destroy());
      socket.once("close", () => {
        count--;
        clearTimeout(tracked.timer);
        if (open.get(key) === tracked) open.delete(key);
      });
    },
    onRequest(req, res, onTimeout) {
      const tracked = open.get(connectionKey(req.socket));
      if (tracked === undefined) return;
      tracked.active++;
      arm(tracked, limits.requestTimeoutMs, onTimeout);
      const received = () => {
        if (tracked.active === 1) clearTimeout(tracked.timer);
      };
      if (req.complete) received();
      else req.once("end", received);
      res.once("close", () => {
        tracked.active--;
        if (tracked.active === 0 && !tracked.socket.destroyed)
          arm(tracked, limits.idleTimeoutMs, () => tracked.socket.destroy());
      });
    },
  };
}

class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** The request body as a Web stream that counts bytes as they leave the socket and pulls only on demand. */
function bodyStream(
  req: http.IncomingMessage,
  limit: number,
  onTooLarge: () => void,
): ReadableStream<Uint8Array> {
  let seen = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const fail = (error: Error) => {
          if (settled) return;
          settled = true;
          req.pause();
          controller.error(error);
        };
        req.on("data", (chunk: Uint8Array) => {
          if (settled) return;
          seen += chunk.byteLength;
          if (seen > limit) {
            fail(new BodyTooLargeError(limit));
            onTooLarge();
            return;
          }
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once("end", () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        req.once("error", fail);
        req.once("close", () => {
          if (!req.complete) fail(new Error("the client closed the connection before the body ended"));
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        settled = true;
        req.pause();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BODY_READ_AHEAD_BYTES }),
  );
}

/** GET and HEAD hand no body to the handler; whatever a client sends anyway is counted and discarded. */
function discardBody(req: http.IncomingMessage, limit: number, onTooLarge: () => void): void {
  let seen = 0;
  req.on("data", (chunk: Uint8Array) => {
    seen += chunk.byteLength;
    if (seen > limit) {
      req.pause();
      onTooLarge();
    }
  });
}

function toRequest(
  req: http.IncomingMessage,
  origin: string,
  body: ReadableStream<Uint8Array> | null,
): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method ?? "GET",
    headers,
    body,
    ...(body ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Closes the connection once the answer is flushed when the request's body was not received whole. */
function closeIfBodyUnread(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.complete) return;
  res.setHeader("connection", "close");
  res.once("finish", () => req.socket.destroy());
}

/** An answer from the engine itself (413, 408), in place of the handler's. */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number): void {
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  closeIfBodyUnread(req, res);
  res.end(`${STATUS_TEXT[status] ?? "refused"}\n`);
}

async function writeResponse(
  response: Response,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.appendHeader(name, value);
  });
  closeIfBodyUnread(req, res);
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

/** A content-length header as a number; NaN when absent or not a plain decimal. */
function declaredLength(value: string | undefined): number {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

export async function serveWithNode(options: ServeOptions, reusePort: boolean): Promise<EngineServer> {
  const scheme = options.tls ? "https" : "http";
  const limits = resolveLimits(options.limits);
  const bodyLimit = options.maxRequestBodyBytes ?? Number.MAX_SAFE_INTEGER;

  const listener = (guard: ConnectionGuard) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    guard.onRequest(req, res, () => refuse(req, res, 408));
    if (declaredLength(req.headers["content-length"]) > bodyLimit) {
      refuse(req, res, 413);
      return;
    }
    const tooLarge = () => refuse(req, res, 413);
    const method = req.method ?? "GET";
    const bodiless = method === "GET" || method === "HEAD";
    if (bodiless) discardBody(req, bodyLimit, tooLarge);
    const body = bodiless ? null : bodyStream(req, bodyLimit, tooLarge);
    const request = toRequest(req, `${scheme}://${req.headers.host ?? "localhost"}`, body);
    Promise.resolve(options.fetch(request, { remoteAddress: req.socket.remoteAddress ?? "" }))
      .then((response) => {
        // The engine may have answered already (413, 408): the handler's answer is then dropped.
        if (res.headersSent || res.writableEnded) return response.body?.cancel();
        return writeResponse(response, req, res);
      })
      .catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  };

  const onClientError = (error: NodeJS.ErrnoException, socket: Duplex) => {
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const text = STATUS_TEXT[status] ?? "Bad Request";
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () =>
      socket.destroy(),
    );
  };

  // Node's own options as well: real Node honours them, and they keep the runtimes' own defaults (Bun's node:http
  // closes idle connections after 5 s) from undercutting ours.
  const nodeOptions: http.ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
  };
  const createServer = (tls: ServerTls | undefined) => {
    const guard = createConnectionGuard(limits);
    const server = tls
      ? https.createServer(
          {
            ...nodeOptions,
            cert: tls.certPem,
            key: tls.keyPem,
            ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
            requestCert: tls.requireClientCert === true,
            rejectUnauthorized: tls.requireClientCert === true,
          },
          listener(guard),
        )
      : http.createServer(nodeOptions, listener(guard));
    server.on("connection", (socket: Socket) => guard.onConnection(socket));
    server.on("clientError", onClientError);
    return server;
  };
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
