/**
 * The one module in lib/ that touches `Bun.*`. It reaches Bun through globalThis with a minimal local type so that
 * `deno check` and tsc without bun types both pass, and so other runtimes simply get `undefined`.
 */
import { resolveLimits } from "./limits.ts";
import type { Engine, EngineServer, ServeOptions } from "./serve.ts";

interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

interface BunServeOptions {
  hostname: string;
  port: number;
  reusePort: boolean;
  maxRequestBodySize: number;
  /** Seconds; Bun's default is 10, written out so both engines take it from limits.ts. */
  idleTimeout: number;
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean; rejectUnauthorized?: boolean };
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
  error?(error: Error): Response;
}

interface BunGlobal {
  serve(options: BunServeOptions): BunServer;
  gc?(force: boolean): void;
  shrink?(): void;
  version: string;
}

/** Bun.serve refuses an idleTimeout above 255 s. */
const BUN_MAX_IDLE_TIMEOUT_S = 255;

export interface BunRuntime {
  serve: Engine;
  version: string;
}

/**
 * A full garbage collection now, then the freed pages handed back to the system, where the runtime offers both
 * (Bun); elsewhere nothing. For the moment a large transient allocation is over: Bun's collector is lazy, and a
 * memory limit is hit by RSS, not by live data.
 */
export function collectGarbage(): void {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  bun?.gc?.(true);
  bun?.shrink?.();
}

export function bunRuntime(): BunRuntime | undefined {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) return undefined;
  return {
    version: bun.version,
    serve: (options: ServeOptions, reusePort: boolean): Promise<EngineServer> => {
      const tls = options.tls;
      const server = bun.serve({
        hostname: options.hostname,
        port: options.port,
        reusePort,
        maxRequestBodySize: options.maxRequestBodyBytes ?? Number.MAX_SAFE_INTEGER,
        // Bun.serve's other limits are its own: headers at most 16 KiB (per process, --max-http-header-size), the
        // idle timeout also covering a connection stuck in its headers, and no connection cap (it has no setting).
        idleTimeout: Math.min(
          BUN_MAX_IDLE_TIMEOUT_S,
          Math.ceil(resolveLimits(options.limits).idleTimeoutMs / 1000),
        ),
        tls: tls && {
          cert: tls.certPem,
          key: tls.keyPem,
          ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
          requestCert: tls.requireClientCert === true,
          rejectUnauthorized: tls.requireClientCert === true,
        },
        fetch: (request, srv) =>
          options.fetch(request, { remoteAddress: srv.requestIP(request)?.address ?? "" }),
        error: () => new Response("internal error\n", { status: 500 }),
      });
      return Promise.resolve({
        port: server.port,
        stop: async (force: boolean) => {
          await server.stop(force);
        },
      });
    },
  };
}
