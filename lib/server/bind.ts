/**
 * serveControllerApp(): binds the controller app with lib/runtime's serve(), over http, https, or https that demands
 * a client certificate from `clientCaPem` (VAULT_CLIENT_CAS). The returned RunningServer's rotateTls() installs a
 * renewed certificate without a restart. The connection info reaches handlers as Hono's `env`.
 */
import type { Hono } from "hono";
import { type RunningServer, type ServerTls, serve } from "../runtime/index.ts";

export interface ControllerListen {
  hostname: string;
  port: number;
  tls?: ServerTls;
}

export function serveControllerApp(app: Hono, listen: ControllerListen): Promise<RunningServer> {
  const tls = listen.tls?.clientCaPem ? { requireClientCert: true, ...listen.tls } : listen.tls;
  return serve({
    hostname: listen.hostname,
    port: listen.port,
    ...(tls ? { tls } : {}),
    fetch: (request, info) => app.fetch(request, info),
  });
}
