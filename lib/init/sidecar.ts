/**
 * runSidecar(): MODE=sidecar, for a Kubernetes native sidecar (an init container with restartPolicy: Always). It
 * takes the first push as the init mode does, then stays: the token keeper renews the token and rewrites its file,
 * the push port also answers GET /status, a push of a newer generation replaces the token, and a plain-http
 * GET /ready tells the kubelet's startupProbe whether a valid token is on disk.
 *
 * Ending: no first push within TIMEOUT -> the timeout explanation and 1, as in init mode (the kubelet restarts the
 * container, the controller sees a new restart). `options.stop` aborted (SIGTERM in cmd/init.ts) -> no new push is
 * taken, the token is revoked with itself and its file removed, and 0. Once a token was delivered there is no
 * timeout: a sidecar whose token ran out waits for the controller's re-issue.
 */
import { ConfigError } from "../config/index.ts";
import { createLogger } from "../log/index.ts";
import { type RunningServer, serve } from "../runtime/index.ts";
import { createInitApp } from "./app.ts";
import { writeFilesAtomically } from "./atomic-write.ts";
import { exchangePush } from "./exchange.ts";
import { listenForPushes } from "./push-server.ts";
import { EXIT_TIMED_OUT, type RunInitOptions } from "./run.ts";
import type { InitSettings, SidecarSettings } from "./settings.ts";
import { startupWarnings } from "./startup-warnings.ts";
import { refusalTally, reportTimeout } from "./timeout-message.ts";
import { createTokenKeeper, type TokenKeeper } from "./token-keeper.ts";

export const READY_PATH = "/ready";
/** The push certificate is renewed at 2/3 of this, so a sidecar lives as long as its pod. */
const SIDECAR_CERTIFICATE_TTL_MS = 7 * 24 * 3600_000;
/** Exchanges under way at SIGTERM may finish (their Vault calls have their own deadlines) up to this long. */
const STOP_DRAIN_LIMIT_MS = 5_000;

/** The startupProbe's answer: 200 with a valid token on disk, else 503 with why; text, never the token. */
export function readinessHandler(keeper: Pick<TokenKeeper, "readiness">) {
  return async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path !== READY_PATH)
      return new Response(`not found: the only endpoint is GET ${READY_PATH}\n`, { status: 404 });
    if (request.method !== "GET" && request.method !== "HEAD")
      return new Response("method not allowed: use GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
    const { ready, reason } = await keeper.readiness();
    return new Response(`${ready ? "ready" : "not ready"}: ${reason}\n`, {
      status: ready ? 200 : 503,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  };
}

function settledWithin(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

export async function runSidecar(
  settings: InitSettings,
  sidecar: SidecarSettings,
  options: RunInitOptions,
): Promise<number> {
  if (settings.mode !== "token")
    throw new ConfigError(
      [
        {
          variable: "MODE",
          problem: "MODE=sidecar renews a Vault token, but this init is set to write a secret_id instead",
          fix: "set RETRIEVE_TOKEN=true (the default) with MODE=sidecar, or use MODE=init",
        },
      ],
      "init container configuration",
    );
  const startedAt = performance.now();
  const now = options.now ?? (() => new Date());
  const log = options.log ?? createLogger(settings.logLevel, { component: "init" });
  const writeText = options.writeText ?? ((text: string) => process.stderr.write(`${text}\n`));
  const pushAuthenticated = settings.controllerCaPem !== undefined;
  for (const warning of startupWarnings(settings)) log.warn(warning);

  const keeper = createTokenKeeper({
    openVault: options.openVault,
    writeFiles: options.writeFiles ?? writeFilesAtomically,
    log,
  });
  const refusals = refusalTally();
  let firstToken: () => void = () => {};
  const delivered = new Promise<void>((resolve) => {
    firstToken = resolve;
  });
  const { app } = createInitApp({
    log,
    admit: keeper.admit,
    status: keeper.status,
    onRejected: refusals.add,
    exchange: async (push, slot) => {
      const context = {
        settings,
        pushAuthenticated,
        openVault: options.openVault,
        writeFiles: keeper.write,
        now,
        log,
        keepToken: true,
      };
      const outcome = await exchangePush(push, context, slot);
      if (!outcome.ok || outcome.held === undefined) return outcome;
      const { held, ...answer } = outcome;
      const confirmation = keeper.adopt(push.generation ?? 0, held);
      firstToken();
      return { ...answer, confirmation };
    },
  });

  const listener = await listenForPushes(settings, app, {
    certificateTtlMs: SIDECAR_CERTIFICATE_TTL_MS,
    now,
    ...(options.engine ? { engine: options.engine } : {}),
  });
  let readiness: RunningServer;
  try {
    readiness = await serve({
      hostname: sidecar.readiness.hostname,
      port: sidecar.readiness.port,
      ...(options.engine ? { engine: options.engine } : {}),
      fetch: readinessHandler(keeper),
    });
  } catch (error) {
    await listener.server.stop(true);
    throw error;
  }
  const certificateTimer = setInterval(
    () =>
      void listener
        .renewCertificate()
        .catch((error: unknown) =>
          log.error("could not renew the push certificate", { error: String(error) }),
        ),
    (SIDECAR_CERTIFICATE_TTL_MS * 2) / 3,
  );
  log.info("waiting for the controller's push", {
    url: listener.listenUrl,
    mode: "sidecar",
    readinessUrl: `${readiness.url.replace(/\/$/, "")}${READY_PATH}`,
    podIp: settings.podIp,
    expectedRole: settings.expectedRole,
    authenticatedPush: pushAuthenticated,
    timeout_ms: settings.timeoutMs,
    startup_ms: Math.round(performance.now() - startedAt),
    since_process_start_ms: Math.round(performance.now()),
  });
  options.onListening?.(listener.server);
  options.onReadinessListening?.(readiness);
  options.onKeeper?.(keeper);

  const stopRequested = new Promise<"stop">((resolve) => {
    if (options.stop?.aborted) resolve("stop");
    options.stop?.addEventListener("abort", () => resolve("stop"), { once: true });
  });
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timeoutTimer = setTimeout(() => resolve("timeout"), settings.timeoutMs);
  });
  const first = await Promise.race([delivered.then(() => "delivered" as const), stopRequested, timedOut]);
  clearTimeout(timeoutTimer);
  const close = async () => {
    clearInterval(certificateTimer);
    await settledWithin(listener.server.stop(false), STOP_DRAIN_LIMIT_MS);
    await keeper.shutdown();
    await listener.server.stop(true);
    await readiness.stop(true);
  };
  if (first === "timeout") {
    await close();
    reportTimeout(
      {
        timeoutMs: settings.timeoutMs,
        listenUrl: listener.listenUrl,
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
  if (first === "delivered") {
    log.info("token delivered; renewing it and listening for re-issues", { url: listener.listenUrl });
    await stopRequested;
  }
  log.info("stopping: revoking the token and removing its file");
  await close();
  log.info("stopped");
  return 0;
}
