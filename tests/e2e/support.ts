/**
 * End-to-end harness: one sandbox (Vault, Kubernetes API and kubelet stand-ins, in this process) plus the COMPILED
 * controller as a child process, configured exactly as the kustomize base configures a pod (sim/sandbox/workloads).
 * Pods run the compiled init under the kubelet stand-in. Every value Vault hands out (token ids, secret_ids) is
 * collected through the Vault stand-in's leak-check hook, so a test can grep every captured log for all of them.
 *
 * Each harness uses its own loopback addresses (pods under `podIpPrefix`, the controller on `controllerIp`), so test
 * files never collide with each other, the demo or a benchmark running beside them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, type SandboxBackend, startSandbox } from "../../sim/sandbox/index.ts";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import { controllerEnv, samplePod } from "../../sim/sandbox/workloads.ts";
import type { MintRecord } from "../../sim/vault/index.ts";
import { compiledBinary } from "../support/binaries.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

export const TOKEN_VOLUME = "vault-token";
export const TOKEN_FILE = "vault-token";
const METRICS_PORT = 8080;
const HEALTH_PORT = 8081;

export type Json = Record<string, unknown>;

export interface KubeEvent {
  reason: string;
  type: string;
  message: string;
  count?: number;
  involvedObject: { name: string; namespace: string; uid: string };
}

/** The init's token file, in the original kubernetes-vault's JSON format. */
export interface TokenFile {
  clientToken: string;
  accessor: string;
  leaseDuration: number;
  renewable: boolean;
  vaultAddr: string;
}

export interface HarnessOptions {
  name: string;
  /** Two octets, e.g. "127.41": the kubelet gives this harness's pods 127.41.x.y. */
  podIpPrefix: string;
  controllerIp: string;
  initRestartBackoffMs?: number;
  /** Extra controller environment (overrides the sandbox's). */
  controllerEnv?: Record<string, string>;
  /** The stand-ins (default) or the real servers (tests/e2e-real). */
  backend?: SandboxBackend;
}

export interface Harness {
  dir: string;
  sandbox: Sandbox;
  kube: ApiCaller;
  vaultRoot: ApiCaller;
  initBinary: string;
  controllerBinary: string;
  controllerIp: string;
  metricsOrigin: string;
  healthOrigin: string;
  /** Every token id and secret_id Vault created since the harness started (values, for leak checks). */
  issued: Set<string>;
  controller(): TestProcess;
  /** Starts the compiled controller and waits until /readyz answers 200. */
  startController(extraEnv?: Record<string, string>): Promise<TestProcess>;
  controllerEnv(extraEnv?: Record<string, string>): Record<string, string>;
  createPod(
    namespace: string,
    name: string,
    role: string,
    options?: { initCommand?: string[]; serviceAccount?: string },
  ): Promise<Json>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** A namespace and service accounts in it (a real API server refuses pods naming a missing one). */
  createNamespace(namespace: string, serviceAccounts?: string[]): Promise<void>;
  getPod(namespace: string, name: string): Promise<Json>;
  events(namespace: string, name?: string): Promise<KubeEvent[]>;
  waitForEvent(namespace: string, name: string, reason: string, deadlineMs?: number): Promise<KubeEvent>;
  /** Waits for the pod's token file (the original's JSON format) and returns it. */
  waitForToken(namespace: string, name: string, deadlineMs?: number): Promise<TokenFile>;
  /** Waits for the token file and the VaultTokenDelivered event. */
  waitServed(namespace: string, name: string): Promise<TokenFile>;
  podIp(namespace: string, name: string): Promise<string>;
  /** The secret_ids Vault minted for the pod with this UID (by the metadata the controller sent). */
  mintsFor(uid: string): MintRecord[];
  /** Vault's answer to auth/token/lookup-self made with `token`, or the HTTP status it refused with. */
  lookupSelf(token: string): Promise<{ ok: true; data: Json } | { ok: false; status: number }>;
  /** The client tokens read from pods' token files so far. */
  tokensRead(): string[];
  /** Every log file a test here captured: the controller's (all runs) and every init container's. */
  logFiles(): string[];
  stop(): Promise<void>;
}

function filesUnder(dir: string, suffix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, suffix);
    return name.endsWith(suffix) ? [path] : [];
  });
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  // Compile (or reuse) before anything starts, so a compile never eats into a start-up deadline.
  const initBinary = compiledBinary("init");
  const controllerBinary = compiledBinary("controller");
  const dir = mkdtempSync(join(tmpdir(), `kv-e2e-${options.name}-`));
  const sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: options.podIpPrefix,
    initRestartBackoffMs: options.initRestartBackoffMs ?? 500,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const issued = new Set<string>();
  const unsubscribe = sandbox.vault.stats.onSecretIssued((_kind, value) => issued.add(value));
  const d = sandbox.description;
  const kube = new ApiCaller(d.kubernetes.server, sandbox.kube.caPem, {
    authorization: `Bearer ${d.kubernetes.token}`,
  });
  const vaultRoot = new ApiCaller(`${d.vault.addr}/v1/`, sandbox.vault.caPem, {
    "X-Vault-Token": d.vault.rootToken,
  });
  const ip = options.controllerIp;
  const metricsOrigin = `${ip}:${METRICS_PORT}`;
  const healthOrigin = `http://${ip}:${HEALTH_PORT}`;
  const controllerLogs = join(dir, "controller");
  mkdirSync(controllerLogs, { recursive: true });
  let runs = 0;
  let current: TestProcess | undefined;
  const tokens = new Map<string, string>();

  const envFor = (extra: Record<string, string> = {}) =>
    controllerEnv(d, 0, {
      POD_IP: ip,
      POD_NAME: `kubernetes-vault-${options.name}`,
      METRICS_LISTEN: metricsOrigin,
      HEALTH_LISTEN: `${ip}:${HEALTH_PORT}`,
      ...options.controllerEnv,
      ...extra,
    });

  const harness: Harness = {
    dir,
    sandbox,
    kube,
    vaultRoot,
    initBinary,
    controllerBinary,
    controllerIp: ip,
    metricsOrigin,
    healthOrigin,
    issued,
    controller() {
      if (!current) throw new Error("no controller was started");
      return current;
    },
    controllerEnv: envFor,
    async startController(extraEnv = {}) {
      const started = startProcess(controllerBinary, [], {
        logPath: join(controllerLogs, `run-${runs++}.log`),
        env: envFor(extraEnv),
      });
      current = started;
      await waitFor(`controller ready on ${healthOrigin}/readyz (log: ${started.logPath})`, async () => {
        if (started.exitCode() !== null)
          throw new Error(`controller exited with ${started.exitCode()}:\n${started.output().slice(-3000)}`);
        const response = await fetch(`${healthOrigin}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.status === 200;
      });
      return started;
    },
    async createPod(namespace, name, role, podOptions = {}) {
      const manifest = samplePod(d, {
        namespace,
        name,
        role,
        initCommand: podOptions.initCommand ?? [initBinary],
        ...(podOptions.serviceAccount ? { serviceAccount: podOptions.serviceAccount } : {}),
      });
      return kube.call("POST", `/api/v1/namespaces/${namespace}/pods`, manifest);
    },
    async createNamespace(namespace, serviceAccounts = []) {
      await kube.call("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace },
      });
      for (const account of serviceAccounts)
        await kube.call("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: account },
        });
    },
    async deletePod(namespace, name) {
      await kube.call("DELETE", `/api/v1/namespaces/${namespace}/pods/${name}`);
    },
    getPod: (namespace, name) => kube.call("GET", `/api/v1/namespaces/${namespace}/pods/${name}`),
    async events(namespace, name) {
      const selector = name ? `?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}` : "";
      const list = await kube.call("GET", `/api/v1/namespaces/${namespace}/events${selector}`);
      return (list.items as KubeEvent[] | undefined) ?? [];
    },
    waitForEvent: (namespace, name, reason, deadlineMs) =>
      waitFor(
        `event ${reason} on pod ${namespace}/${name}`,
        async () => (await harness.events(namespace, name)).find((event) => event.reason === reason),
        deadlineMs,
      ),
    async waitForToken(namespace, name, deadlineMs) {
      const token = await waitFor(
        `token file of pod ${namespace}/${name}`,
        () => {
          const volume = sandbox.kubelet.volumeDirFor(namespace, name, TOKEN_VOLUME);
          if (!volume) return undefined;
          try {
            const parsed = JSON.parse(readFileSync(join(volume, TOKEN_FILE), "utf8")) as TokenFile;
            return parsed.clientToken ? parsed : undefined;
          } catch {
            return undefined;
          }
        },
        deadlineMs,
      );
      tokens.set(`${namespace}/${name}`, token.clientToken);
      return token;
    },
    async waitServed(namespace, name) {
      const token = await harness.waitForToken(namespace, name);
      await harness.waitForEvent(namespace, name, "VaultTokenDelivered");
      return token;
    },
    podIp: (namespace, name) =>
      waitFor(`pod IP of ${namespace}/${name}`, async () => {
        const pod = await harness.getPod(namespace, name);
        return (pod.status as Json | undefined)?.podIP as string | undefined;
      }),
    mintsFor: (uid) => sandbox.vault.stats.mintedSecretIds().filter((mint) => mint.metadata.uid === uid),
    async lookupSelf(token) {
      const caller = new ApiCaller(`${d.vault.addr}/v1/`, sandbox.vault.caPem, { "X-Vault-Token": token });
      const response = await caller.fetch(`${caller.base}auth/token/lookup-self`, {
        headers: { "X-Vault-Token": token },
      });
      const text = await response.text();
      if (!response.ok) return { ok: false, status: response.status };
      return { ok: true, data: (JSON.parse(text) as { data: Json }).data };
    },
    tokensRead: () => [...tokens.values()],
    logFiles: () => [...filesUnder(controllerLogs, ".log"), ...filesUnder(d.kubelet.podsDir, ".log")],
    async stop() {
      unsubscribe();
      await current?.stop();
      await sandbox.stop();
    },
  };
  return harness;
}
