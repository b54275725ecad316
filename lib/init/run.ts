/**
 * runInit(): the init container's I/O shell. Mints the certificate, binds the listener, waits for one valid push
 * or the timeout, and returns the exit code (0 credentials written, 1 timed out). Nothing else binds a port.
 *
 * Order on success: files written -> 200 answered -> answer body taken by the engine -> server stopped -> 0.
 * On timeout an exchange already under way is allowed to finish (its Vault calls have their own deadlines).
 * Without a controller CA it does not start (a ConfigError naming CONTROLLER_CA_CERT) unless the settings say
 * allowUnauthenticatedPush (INSECURE_UNAUTHENTICATED_PUSH=true), and then it warns on every start.
 */
import { CONTROLLER_CA_MISSING, ConfigError } from "../config/index.ts";
import { createLogger, type Logger } from "../log/index.ts";
import type { RunningServer } from "../runtime/index.ts";
import { createInitApp } from "./app.ts";
import { type WriteFiles, writeFilesAtomically } from "./atomic-write.ts";
import { type ExchangeOutcome, exchangePush } from "./exchange.ts";
import { listenForPushes } from "./push-server.ts";
import type { InitSettings } from "./settings.ts";
import { runSidecar } from "./sidecar.ts";
import { startupWarnings } from "./startup-warnings.ts";
import { refusalTally, reportTimeout } from "./timeout-message.ts";
import type { TokenKeeper } from "./token-keeper.ts";
import type { OpenVault } from "./vault-access.ts";

export const EXIT_DELIVERED = 0;
export const EXIT_TIMED_OUT = 1;

/** The certificate outlives the wait so a push accepted at the last moment still verifies. */
const CERTIFICATE_MARGIN_MS = 10 * 60_000;
/** If the engine never reports the answer as taken (a vanished caller), stop anyway after this. */
const ANSWER_FLUSH_LIMIT_MS = 5_000;

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
  /**
   * Sidecar mode: aborting it ends the run (the token revoked, its file removed, then 0). MODE=init ignores it:
   * a stopped init container has nothing to undo.
   */
  stop?: AbortSignal;
  /** Sidecar mode: reports the plain-http readiness server once bound. */
  onReadinessListening?: (server: RunningServer) => void;
  /** Sidecar mode: reports the token keeper once the push server is up (tests and the in-process fleet). */
  onKeeper?: (keeper: TokenKeeper) => void;
}

export async function runInit(settings: InitSettings, options: RunInitOptions): Promise<number> {
  if (settings.controllerCaPem === undefined && settings.allowUnauthenticatedPush !== true)
    throw new ConfigError([CONTROLLER_CA_MISSING], "init container configuration");
  if (settings.sidecar) return runSidecar(settings, settings.sidecar, options);
  const startedAt = performance.now();
  const now = options.now ?? (() => new Date());
  const log = options.log ?? createLogger(settings.logLevel, { component: "init" });
  const writeText = options.writeText ?? ((text: string) => process.stderr.write(`${text}\n`));
  const pushAuthenticated = settings.controllerCaPem !== undefined;
  for (const warning of startupWarnings(settings)) log.warn(warning);

  const refusals = refusalTally();
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
    onRejected: refusals.add,
    onDelivered: (_confirmation, sent) => {
      answerSent = sent;
      wake();
    },
  });

  const { server, listenUrl } = await listenForPushes(settings, app, {
    certificateTtlMs: settings.timeoutMs + CERTIFICATE_MARGIN_MS,
    now,
    ...(options.engine ? { engine: options.engine } : {}),
  });
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
    reportTimeout(
      {
        timeoutMs: settings.timeoutMs,
        listenUrl,
        podIp: settings.podIp,
        expectedRole: settings.expectedRole,
        refusals,
        pushAuthenticated,
      },
      log,
      writeText,
    );
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
