/**
 * The push listener both modes bind: a fresh self-signed certificate naming the pod IP, HTTPS that demands a
 * client certificate chaining to CONTROLLER_CA_CERT (when set), and the init app behind it.
 *
 * Contract: `renewCertificate()` mints a new certificate of the same lifetime and swaps it in without dropping the
 * port (sidecar mode outlives any one certificate).
 */
import type { Hono } from "hono";
import { MAX_PUSH_BODY_BYTES } from "../push/index.ts";
import { formatHostPort, type RunningServer, serve } from "../runtime/index.ts";
import { selfSignedLeaf } from "../tls/index.ts";
import type { ConnectionEnv } from "./app.ts";
import type { InitSettings } from "./settings.ts";

/** The engine cuts bodies beyond this; between the push limit and this, the app answers 413 itself and logs it. */
const ENGINE_BODY_LIMIT = 4 * MAX_PUSH_BODY_BYTES;

export interface PushListener {
  server: RunningServer;
  listenUrl: string;
  renewCertificate(): Promise<void>;
}

function certificateIps(settings: InitSettings): string[] {
  if (settings.podIp) return [settings.podIp];
  const host = settings.listen.hostname;
  const unspecified = host === "::" || host === "0.0.0.0" || host === "";
  return !unspecified && /^[\d.]+$|:/.test(host) ? [host] : [];
}

export async function listenForPushes(
  settings: InitSettings,
  app: Hono<{ Bindings: ConnectionEnv }>,
  options: { certificateTtlMs: number; now: () => Date; engine?: "auto" | "node" },
): Promise<PushListener> {
  const mint = async () => {
    const leaf = await selfSignedLeaf({
      commonName: settings.podIp ?? "kubernetes-vault-init",
      ipSans: certificateIps(settings),
      ttlMs: options.certificateTtlMs,
      usages: ["server"],
      now: options.now(),
    });
    return {
      ...leaf,
      ...(settings.controllerCaPem ? { clientCaPem: settings.controllerCaPem, requireClientCert: true } : {}),
    };
  };
  const server = await serve({
    hostname: settings.listen.hostname,
    port: settings.listen.port,
    maxRequestBodyBytes: ENGINE_BODY_LIMIT,
    ...(options.engine ? { engine: options.engine } : {}),
    tls: await mint(),
    fetch: (request, info) => app.fetch(request, { remoteAddress: info.remoteAddress }),
  });
  return {
    server,
    listenUrl: `https://${formatHostPort(settings.listen.hostname, server.port)}/`,
    renewCertificate: async () => server.rotateTls(await mint()),
  };
}
