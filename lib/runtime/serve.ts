/**
 * serve(): binds a Web-standard `fetch` handler to a socket, the only place in lib/ that binds server ports.
 *
 * Contract:
 * - Under Bun it uses Bun.serve (fast, and it can demand a client certificate chaining to `clientCaPem` during the
 *   handshake). Elsewhere (Deno, Node) it falls back to node:http/node:https with the same semantics.
 * - Neither engine lets a handler read the client's certificate, so the contract is "the peer holds a certificate
 *   signed by clientCaPem", never "the peer is X". Callers that need identity must put it in the request.
 * - `rotateTls()` swaps the certificate without dropping the port: neither engine can reload a TLS context in place,
 *   so under Bun a second listener is bound with SO_REUSEPORT and the old one is drained; the node engine uses
 *   setSecureContext where the runtime has it, else re-listens on the same port (a gap of milliseconds).
 * - Both engines hold the limits of limits.ts (header size, timeouts, body size answered 413); the node engine also
 *   caps connections, which Bun.serve has no setting for.
 */
import { bunRuntime } from "./bun.ts";
import { DEFAULT_MAX_BODY_BYTES, type ServerLimits } from "./limits.ts";
import { serveWithNode } from "./node-server.ts";

export interface ServerTls {
  certPem: string;
  keyPem: string;
  /** PEM bundle of CAs a client certificate must chain to. */
  clientCaPem?: string;
  /** Refuse the handshake when the client presents no certificate (or one not chaining to clientCaPem). */
  requireClientCert?: boolean;
}

export interface ConnectionInfo {
  remoteAddress: string;
}

export type FetchHandler = (request: Request, info: ConnectionInfo) => Response | Promise<Response>;

export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port; read the chosen one from the result. */
  port: number;
  tls?: ServerTls;
  fetch: FetchHandler;
  /** Bodies above this are refused by the engine (413), a declared one before the handler runs. */
  maxRequestBodyBytes?: number;
  /** Other figures than limits.ts's SERVER_LIMITS; Bun.serve takes only the idle timeout (see bun.ts). */
  limits?: Partial<ServerLimits>;
  /** Force the portable engine (tests prove both engines behave alike). */
  engine?: "auto" | "node";
}

export interface RunningServer {
  readonly hostname: string;
  readonly port: number;
  readonly url: string;
  rotateTls(tls: ServerTls): Promise<void>;
  /** Stops accepting; `force` also closes open connections instead of letting them finish. */
  stop(force?: boolean): Promise<void>;
}

export interface EngineServer {
  port: number;
  stop(force: boolean): Promise<void>;
  /** Engines that can swap certificates in place do it here; otherwise serve() binds a second listener. */
  replaceTls?(tls: ServerTls): Promise<void>;
}

export type Engine = (options: ServeOptions, reusePort: boolean) => Promise<EngineServer>;

export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const bun = options.engine === "node" ? undefined : bunRuntime();
  const engine: Engine = bun ? bun.serve : serveWithNode;
  const normalized = {
    ...options,
    maxRequestBodyBytes: options.maxRequestBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  // Reuse the port only when a rotation is possible: it would otherwise let two unrelated servers share a port.
  const rotatable = options.tls !== undefined;
  let current = await engine(normalized, rotatable);
  const port = current.port;
  const scheme = options.tls ? "https" : "http";
  return {
    hostname: options.hostname,
    port,
    url: `${scheme}://${formatHostPort(options.hostname, port)}`,
    async rotateTls(tls) {
      if (!rotatable) throw new Error("rotateTls: this server was started without TLS");
      if (current.replaceTls) return current.replaceTls(tls);
      const next = await engine({ ...normalized, port, tls }, true);
      const previous = current;
      current = next;
      await previous.stop(false);
    },
    stop: (force = false) => current.stop(force),
  };
}
