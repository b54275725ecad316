/**
 * runController(): the controller process, composed from lib/ parts. cmd/controller.ts only calls this.
 *
 * Start-up order (each step's failure is a clear message and an exit code, never a stack trace):
 *   configuration and files -> Vault token (refuse root, require periodic) -> PKI certificate -> Kubernetes access
 *   -> coordination (single replica, or Raft) -> servers -> informer -> controller (waits for the first list).
 * Shutdown (SIGTERM/SIGINT): stop intake and drain in-flight pushes within a bound, hand leadership over, stop the
 * informer, keepers and servers, exit 0.
 */
import type { Hono } from "hono";
import { type ControllerConfig, loadAllowList, loadControllerConfig, readPemFile } from "../config/index.ts";
import {
  type CertificateKeeper,
  type Clock,
  createController,
  createHttpsPusher,
  eventSinkFrom,
  pkiCertificateIssuer,
  podSourceFrom,
  policyFrom,
  type Random,
  randomSeed,
  reconcileSettingsFrom,
  seededRandom,
  startCertificateKeeper,
  startTokenKeeper,
  systemClock,
  tokenVaultFrom,
  vaultOperationsFrom,
} from "../controller/index.ts";
import {
  createEventRecorder,
  createKubeTransport,
  createPodInformer,
  type KubeTransport,
  loadKubeConfig,
  podSourceOf,
} from "../kube/index.ts";
import { createLogger, type Logger } from "../log/index.ts";
import { type ControllerMetricsRecorder, createControllerMetrics } from "../metrics/index.ts";
import { collectGarbage, type RunningServer } from "../runtime/index.ts";
import {
  cachesSyncedCheck,
  createControllerApp,
  createHealthApp,
  serveControllerApp,
  vaultTokenCheck,
} from "../server/index.ts";
import { openVaultClient, type VaultClient } from "../vault/index.ts";
import type { Coordination } from "./coordination.ts";
import { defaultCoordination } from "./default-coordination.ts";
import { startGossipPeerDirectory } from "./peers.ts";
import { describeStartupError, EXIT_OK } from "./startup-error.ts";
import { type PeerDirectory, staticPeerDirectory } from "./static-peers.ts";

/** How often gauges that describe a moving quantity (token TTL, queue depth) are refreshed. */
const GAUGE_REFRESH_MS = 5_000;

export interface ControllerRunOptions {
  env: Record<string, string | undefined>;
  /** Resolves when the process should shut down (cmd wires SIGTERM/SIGINT to it). */
  shutdown: Promise<string>;
  coordination?: (context: CoordinationContext) => Promise<Coordination>;
}

export interface CoordinationContext {
  config: ControllerConfig;
  log: Logger;
  vault: VaultClient;
  metrics: ControllerMetricsRecorder;
  /** The controller's PKI certificate keeper, when VAULT_CA_BACKEND is set (Raft uses it for mutual TLS). */
  certificates?: CertificateKeeper;
  /** The replicas and their Raft addresses: RAFT_PEERS when set, else gossip seeded from the EndpointSlices. */
  peers: PeerDirectory;
}

/** RAFT_PEERS when set; otherwise gossip discovery, given time to see the replicas the EndpointSlices list. */
async function startPeers(
  config: ControllerConfig,
  log: Logger,
  metrics: ControllerMetricsRecorder,
  kubeTransport: KubeTransport,
): Promise<PeerDirectory & { stop(): Promise<void> }> {
  if (config.raftPeers.length > 0) return { ...staticPeerDirectory(config), stop: () => Promise.resolve() };
  const directory = await startGossipPeerDirectory({ config, log, metrics, kubeTransport });
  await directory.settled();
  return directory;
}

async function readOptionalPem(
  variable: string,
  path: string | undefined,
  kind: "certificate" | "private key",
) {
  return path === undefined ? undefined : readPemFile(variable, path, kind);
}

export async function runController(options: ControllerRunOptions): Promise<number> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => {});
  };
  let log = createLogger("info", { component: "controller" });
  try {
    const config = loadControllerConfig(options.env);
    log = createLogger(config.logLevel, { component: "controller", instance: config.podName });
    for (const warning of config.warnings) log.warn(warning);
    const seed = randomSeed();
    // The seed is logged so that any jittered schedule can be replayed when investigating.
    log.info("starting", {
      vaultAddr: config.vault.addr,
      namespace: config.kubernetes.namespace,
      randomSeed: seed,
    });
    const clock = systemClock();
    const random = seededRandom(seed);
    const allowList = await loadAllowList(config.allowList);
    const vaultCaPem = await readOptionalPem("VAULT_CACERT", config.vault.caCertPath, "certificate");
    const vaultClientCert = await readOptionalPem(
      "VAULT_CLIENT_CERT",
      config.vault.clientCertPath,
      "certificate",
    );
    const vaultClientKey = await readOptionalPem(
      "VAULT_CLIENT_KEY",
      config.vault.clientKeyPath,
      "private key",
    );
    const vault = openVaultClient({
      addr: config.vault.addr,
      token: config.vault.token,
      ...(vaultCaPem ? { caPem: vaultCaPem } : {}),
      ...(vaultClientCert && vaultClientKey
        ? { clientCertPem: vaultClientCert, clientKeyPem: vaultClientKey }
        : {}),
    });
    cleanups.push(() => vault.close());
    const { registry, metrics } = createControllerMetrics();

    const tokenKeeper = await startTokenKeeper({ vault: tokenVaultFrom(vault), clock, random, log, metrics });
    cleanups.push(() => tokenKeeper.stop());

    const certificates = await startControllerCertificate(config, vault, { clock, random, log, metrics });
    if (certificates) cleanups.push(() => certificates.stop());

    const kubeConfig = loadKubeConfig({
      ...(config.kubernetes.kubeconfigPath ? { kubeconfigPath: config.kubernetes.kubeconfigPath } : {}),
      ...(config.kubernetes.serviceAccountDir
        ? { serviceAccountDir: config.kubernetes.serviceAccountDir }
        : {}),
      env: options.env,
    });
    const transport = createKubeTransport(kubeConfig);
    const informer = createPodInformer({
      transport,
      namespaces: config.kubernetes.watchNamespaces,
      log: log.child({ part: "informer" }),
      random: () => random.next(),
    });
    cleanups.push(() => informer.stop());
    const recorder = createEventRecorder({
      transport,
      instance: config.podName,
      log: log.child({ part: "events" }),
      onEmitted: (reason, type) => metrics.eventEmitted(reason, type),
    });

    const peers = await startPeers(config, log, metrics, transport);
    cleanups.push(() => peers.stop());
    // Raft for discovered replicas and for RAFT_PEERS naming others (default-coordination.ts).
    const coordination = await (
      options.coordination ?? ((context) => defaultCoordination(context, context.peers))
    )({
      config,
      log,
      vault,
      metrics,
      ...(certificates ? { certificates } : {}),
      peers,
    });
    const controller = createController({
      pods: podSourceFrom(podSourceOf(informer)),
      ledger: coordination.ledger,
      vault: vaultOperationsFrom(vault),
      pusher: createHttpsPusher({
        identity: () => certificates?.current(),
        initPort: config.initPort,
        localAddress: config.podIp,
      }),
      events: eventSinkFrom(recorder),
      metrics,
      policy: policyFrom(allowList),
      settings: reconcileSettingsFrom(config, vaultCaPem),
      leader: coordination.leader,
      clock,
      random,
      log: log.child({ part: "reconcile" }),
      workers: config.pushConcurrency,
    });

    const tokenExpiry = { expiresAtMs: () => clock.now() + tokenKeeper.remainingTtlMs() };
    // Ready once the controller has indexed the first list (not merely received it): until then it cannot act.
    let podsIndexed = false;
    const readiness = [
      cachesSyncedCheck({ hasSynced: () => informer.hasSynced() && podsIndexed }),
      vaultTokenCheck(tokenExpiry, () => clock.now()),
      ...(coordination.readiness ? [coordination.readiness] : []),
    ];
    const servers = await startServers(config, {
      app: createControllerApp({
        registry,
        readiness,
        // Asking the gate catches up missed Raft ticks, so a lease that lapsed during a stall reads is_leader 0.
        beforeScrape: () => void coordination.leader.isLeader(),
        ...(coordination.peerRoutes ? { raftRoutes: coordination.peerRoutes } : {}),
      }),
      health: createHealthApp(readiness),
      vault,
      ...(certificates ? { certificates } : {}),
    });
    for (const server of servers) cleanups.push(() => server.stop(true));
    log.info("serving", { endpoints: servers.map((server) => server.url) });

    const refresh = setInterval(() => {
      metrics.tokenTtl(Math.max(0, Math.round(tokenKeeper.remainingTtlMs() / 1000)));
      metrics.queueDepth(controller.queueDepth());
    }, GAUGE_REFRESH_MS);
    refresh.unref?.();
    cleanups.push(() => clearInterval(refresh));

    informer.start();
    await coordination.start();
    cleanups.push(() => coordination.stop());
    const started = controller.start();
    // The initial list parses every pod in full before slimming it: with 10,000 pods that garbage held RSS near
    // 130-150 MB at ready until Bun's lazy collector ran, seconds later. Give it back once the pods are indexed.
    started
      .then(() => {
        collectGarbage();
        podsIndexed = true;
      })
      .catch(() => {});
    const signal = await options.shutdown;
    log.info("shutting down", { signal });
    const { drained } = await controller.stop();
    await started.catch(() => {});
    if (!drained)
      log.warn("in-flight pushes did not finish within the shutdown bound; their pods will be retried");
    await cleanup();
    log.info("stopped");
    return EXIT_OK;
  } catch (error) {
    const { message, exitCode } = describeStartupError(error);
    log.error(message);
    await cleanup();
    return exitCode;
  }
}

interface ServerParts {
  app: Hono;
  health: Hono;
  vault: VaultClient;
  certificates?: CertificateKeeper;
}

async function startServers(config: ControllerConfig, parts: ServerParts): Promise<RunningServer[]> {
  const { certificates } = parts;
  let tls: { certPem: string; keyPem: string; clientCaPem?: string } | undefined;
  if (config.metricsTls && certificates) {
    const clientCas = await Promise.all(
      config.pki.clientCaMounts.map((mount) => parts.vault.pkiCaPem(mount)),
    );
    const clientCaPem = clientCas.length > 0 ? clientCas.join("") : undefined;
    const { certPem, keyPem } = certificates.current();
    tls = { certPem, keyPem, ...(clientCaPem ? { clientCaPem } : {}) };
  }
  const metricsServer = await serveControllerApp(parts.app, {
    ...config.metricsListen,
    ...(tls ? { tls } : {}),
  });
  if (tls && certificates) {
    const clientCaPem = tls.clientCaPem;
    certificates.onRenew((renewed) =>
      metricsServer.rotateTls({
        certPem: renewed.certPem,
        keyPem: renewed.keyPem,
        ...(clientCaPem ? { clientCaPem } : {}),
      }),
    );
  }
  const healthServer = await serveControllerApp(parts.health, config.healthListen);
  return [metricsServer, healthServer];
}

/**
 * The controller's Vault-PKI certificate (push client auth, Raft mutual TLS, metrics TLS), renewed at half-life;
 * undefined, with a warning, when VAULT_CA_BACKEND/VAULT_CA_ROLE are not set.
 */
async function startControllerCertificate(
  config: ControllerConfig,
  vault: VaultClient,
  parts: { clock: Clock; random: Random; log: Logger; metrics: ControllerMetricsRecorder },
): Promise<CertificateKeeper | undefined> {
  const { log, metrics } = parts;
  if (!(config.pki.backend && config.pki.role)) {
    log.warn(
      "VAULT_CA_BACKEND/VAULT_CA_ROLE are not set: pushes carry no client certificate, so init containers cannot tell this controller from anyone else. Set them to a PKI mount and role.",
    );
    return undefined;
  }
  const keeper = await startCertificateKeeper({
    purpose: "controller certificate",
    issue: pkiCertificateIssuer(vault, {
      mount: config.pki.backend,
      role: config.pki.role,
      commonName: config.podName,
      ipSans: [config.podIp],
      altNames: [`${config.kubernetes.service}.${config.kubernetes.namespace}.svc`],
    }),
    clock: parts.clock,
    random: parts.random,
    log,
    metrics: metrics.certificateRenewals,
  });
  metrics.certificateExpiry("push-client", keeper.current().notAfter);
  keeper.onRenew((renewed) => metrics.certificateExpiry("push-client", renewed.notAfter));
  return keeper;
}
