/**
 * runInit(): the init container's I/O shell. Mints the certificate, binds the listener, waits for one valid push
 * or the timeout, and returns the exit code (0 credentials written, 1 timed out). Nothing else binds a port.
 *
 * Order on success: files written -> 200 answered -> answer body taken by the engine -> server stopped -> 0.
 * On timeout an exchange already under way is allowed to finish (its Vault calls have their own deadlines).
 * Without a controller CA it does not start (a ConfigError naming CONTROLLER_CA_CERT) unless the settings say
 * allowUnauthenticatedPush (INSECURE_UNAUTHENTICATED_PUSH=true), and then it warns on every start.
 */
import { hostname as machineHostname } from "node:os";
import { CONTROLLER_CA_MISSING, ConfigError } from "../config/index.ts";
import { createLogger, type Logger } from "../log/index.ts";
import { MAX_PUSH_BODY_BYTES, type PushRejection } from "../push/index.ts";
import { formatHostPort, type RunningServer, serve } from "../runtime/index.ts";
import { selfSignedLeaf } from "../tls/index.ts";
import { createInitApp } from "./app.ts";
import { type WriteFiles, writeFilesAtomically } from "./atomic-write.ts";
import { type ExchangeOutcome, exchangePush } from "./exchange.ts";
import type { InitSettings } from "./settings.ts";
import { startupWarnings } from "./startup-warnings.ts";
import { timeoutMessage } from "./timeout-message.ts";
import type { OpenVault } from "./vault-access.ts";

export const EXIT_DELIVERED = 0;
export const EXIT_TIMED_OUT = 1;

/** The certificate outlives the wait so a push accepted at the last moment still verifies. */
const CERTIFICATE_MARGIN_MS = 10 * 60_000;
/** If the engine never reports the answer as taken (a vanished caller), stop anyway after this. */
const ANSWER_FLUSH_LIMIT_MS = 5_000;
/** The engine cuts bodies beyond this; between the push limit and this, the app answers 413 itself and logs it. */
const ENGINE_BODY_LIMIT = 4 * MAX_PUSH_BODY_BYTES;

export interface RunInitOptions {
  openVault: OpenVault;
  writeFiles?: WriteFiles;
  now?: () => Date;
  log?: Logger;
  /** Where the multi-line timeout explanation goes (stderr by default). */
  writeText?: (text: string) => void;
  /** Reports the bound server, for tests and benchmarks. */
  onListening?: (server: RunningServer) => void;
  /** "node" forces the portable engine that Deno and Node use (tests prove the init behaves alike on it). */
  engine?: "auto" | "node";
}

function certificateIps(settings: InitSettings): string[] {
  if (settings.podIp) return [settings.podIp];
  const host = settings.listen.hostname;
  const unspecified = host === "::" || host === "0.0.0.0" || host === "";
  return !unspecified && /^[\d.]+$|:/.test(host) ? [host] : [];
}

export async function runInit(settings: InitSettings, options: RunInitOptions): Promise<number> {
  if (settings.controllerCaPem === undefined && settings.allowUnauthenticatedPush !== true)
    throw new ConfigError([CONTROLLER_CA_MISSING], "init container configuration");
  const startedAt = performance.now();
  const now = options.now ?? (() => new Date());
  const log = options.log ?? createLogger(settings.logLevel, { component: "init" });
  const writeText = options.writeText ?? ((text: string) => process.stderr.write(`${text}\n`));
  const pushAuthenticated = settings.controllerCaPem !== undefined;
  for (const warning of startupWarnings(settings)) log.warn(warning);

  let refusedCount = 0;
  let lastRefusal: PushRejection | undefined;
  /** Exchanges under way (several may be looking their token up at once); at the timeout they may finish. */
  const exchanges = new Set<Promise<ExchangeOutcome>>();
  /** Set once credentials are written; settles when the engine has taken the whole answer. */
  let answerSent: Promise<void> | undefined;
  let wake: () => void = () => {};
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const { app } = createInitApp({
    log,
    exchange: (push, slot) => {
      const exchange = exchangePush(
        push,
        {
          settings,
          pushAuthenticated,
          openVault: options.openVault,
          writeFiles: options.writeFiles ?? writeFilesAtomically,
          now,
          log,
        },
        slot,
      );
      exchanges.add(exchange);
      void exchange.finally(() => exchanges.delete(exchange));
      return exchange;
    },
    onRejected: (rejection) => {
      refusedCount += 1;
      lastRefusal = rejection;
    },
    onDelivered: (_confirmation, sent) => {
      answerSent = sent;
      wake();
    },
  });

  const leaf = await selfSignedLeaf({
    commonName: settings.podIp ?? "kubernetes-vault-init",
    ipSans: certificateIps(settings),
    ttlMs: settings.timeoutMs + CERTIFICATE_MARGIN_MS,
    usages: ["server"],
    now: now(),
  });
  const server = await serve({
    hostname: settings.listen.hostname,
    port: settings.listen.port,
    maxRequestBodyBytes: ENGINE_BODY_LIMIT,
    ...(options.engine ? { engine: options.engine } : {}),
    tls: {
      ...leaf,
      ...(settings.controllerCaPem ? { clientCaPem: settings.controllerCaPem, requireClientCert: true } : {}),
    },
    fetch: (request, info) => app.fetch(request, { remoteAddress: info.remoteAddress }),
  });
  const listenUrl = `https://${formatHostPort(settings.listen.hostname, server.port)}/`;
  log.info("waiting for the controller's push", {
    url: listenUrl,
    podIp: settings.podIp,
    expectedRole: settings.expectedRole,
    authenticatedPush: pushAuthenticated,
    timeout_ms: settings.timeoutMs,
    startup_ms: Math.round(performance.now() - startedAt),
    // performance.now() counts from process start: module loading and configuration included.
    since_process_start_ms: Math.round(performance.now()),
  });
  options.onListening?.(server);

  const timer = setTimeout(wake, settings.timeoutMs);
  await woken;
  clearTimeout(timer);
  if (answerSent === undefined) {
    // Timed out: accept no new push, but let an exchange already under way finish and answer.
    await server.stop(false);
    await Promise.all(exchanges);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (answerSent === undefined) {
    await server.stop(true);
    const message = timeoutMessage({
      timeoutMs: settings.timeoutMs,
      listenUrl,
      podIp: settings.podIp,
      podName: machineHostname(),
      expectedRole: settings.expectedRole,
      refusedCount,
      lastRefusal,
      pushAuthenticated,
    });
    log.error("timed out waiting for the secret_id push", {
      refused: refusedCount,
      reason: lastRefusal?.reason,
    });
    writeText(message);
    return EXIT_TIMED_OUT;
  }
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    answerSent,
    new Promise((resolve) => {
      flushTimer = setTimeout(resolve, ANSWER_FLUSH_LIMIT_MS);
    }),
  ]);
  clearTimeout(flushTimer);
  await server.stop(false);
  log.info("credentials delivered; exiting");
  return EXIT_DELIVERED;
}
