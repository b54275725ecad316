/**
 * The sandbox: the Vault, Kubernetes API and kubelet stand-ins started together and provisioned for
 * kubernetes-vault. Used by `bun run sandbox`, the demo, the end-to-end tests and the benchmarks.
 *
 * Contract: everything listens on loopback only; `dir` receives the CA files, the controller's in-cluster
 * service-account files and `sandbox.json` (absolute paths). `stop()` stops the kubelet first, so no child
 * process outlives the sandbox.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { startKubeApiSim } from "../kube/index.ts";
import { startKubelet } from "../kubelet/index.ts";
import { type SimStats, startVaultSim } from "../vault/index.ts";
import {
  CONTROLLER_NAMESPACE,
  CONTROLLER_SERVICE,
  PKI_MOUNT,
  PKI_ROLE,
  type ProvisionedVault,
  provisionKubernetes,
  provisionVault,
  SANDBOX_ALLOW_LIST,
} from "./provision.ts";
import { provisionRealKubernetes, startRealServers } from "./real.ts";

export interface SandboxOptions {
  dir: string;
  hostname?: string;
  /** 0 (default) picks free ports; the CLI asks for the usual ones (8200, 6443). */
  vaultPort?: number;
  kubePort?: number;
  /** Kubelet restart back-off base; Kubernetes uses 10 s, tests want less. */
  initRestartBackoffMs?: number;
  podIpPrefix?: string;
  /** "stand-ins" (default): sim/vault and sim/kube in this process. "real": sim/real's servers (see real.ts). */
  backend?: SandboxBackend;
}

export type SandboxBackend = "stand-ins" | "real";

export interface SandboxDescription {
  vault: { addr: string; caCert: string; rootToken: string };
  kubernetes: {
    server: string;
    caCert: string;
    token: string;
    kubeconfig: string;
    serviceAccountDir: string;
  };
  controller: {
    vaultToken: string;
    vaultTokenAccessor: string;
    namespace: string;
    service: string;
    pkiMount: string;
    pkiRole: string;
    allowList: string;
    /** CLUSTER_KEY for the controller replicas (Raft and gossip authentication). */
    clusterKey: string;
  };
  pki: { caCert: string };
  approles: Record<string, { roleId: string }>;
  kubelet: { podsDir: string };
}

type Kubelet = Awaited<ReturnType<typeof startKubelet>>;

/** What tests and the demo may use of Vault, whichever backend serves it. */
export interface SandboxVault {
  addr: string;
  caCertPath: string;
  caPem: string;
  rootToken: string;
  /** Requests, mints and logins as the server saw them (the real backend reads its audit log). */
  stats: SimStats;
  /** An outage: connections are refused while offline; state survives. */
  setOnline(online: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** What tests and the demo may use of the Kubernetes API, whichever backend serves it. */
export interface SandboxKube {
  server: string;
  caCertPath: string;
  caPem: string;
  /** Admin bearer token. */
  token: string;
  adminKubeconfigPath: string;
  /** Ends every open watch (and, for the real server, every connection), as a network blip does. */
  cutWatches(): void;
  /** Forgets history, so a watch from an older resourceVersion gets 410 Gone. */
  compactAll(): Promise<void>;
  stop(): Promise<void>;
}

export interface Sandbox {
  backend: SandboxBackend;
  description: SandboxDescription;
  descriptionPath: string;
  vault: SandboxVault;
  kube: SandboxKube;
  kubelet: Kubelet;
  provisioned: ProvisionedVault;
  stop(): Promise<void>;
}

interface Backend {
  vault: SandboxVault;
  kube: SandboxKube;
  /** The controller's in-cluster bearer token. */
  controllerKubeToken: string;
}

async function startStandIns(options: SandboxOptions, dir: string, hostname: string, started: Stoppable[]) {
  const vault = await startVaultSim({ hostname, port: options.vaultPort ?? 0, dir });
  started.push(vault);
  const kubeSim = await startKubeApiSim({ hostname, port: options.kubePort ?? 0, dir });
  started.push(kubeSim);
  await provisionKubernetes(kubeSim.server, kubeSim.caPem, kubeSim.token);
  const kube: SandboxKube = {
    server: kubeSim.server,
    caCertPath: kubeSim.caCertPath,
    caPem: kubeSim.caPem,
    token: kubeSim.token,
    adminKubeconfigPath: kubeSim.adminKubeconfigPath,
    cutWatches: () => kubeSim.cutWatches(),
    compactAll: async () => kubeSim.compactAll(),
    stop: () => kubeSim.stop(),
  };
  return { vault, kube, controllerKubeToken: kubeSim.token } satisfies Backend;
}

async function startReal(
  options: SandboxOptions,
  dir: string,
  hostname: string,
  started: Stoppable[],
): Promise<Backend> {
  const servers = await startRealServers(join(dir, "servers"), hostname, {
    vault: options.vaultPort ?? 0,
    kube: options.kubePort ?? 0,
  });
  started.push(servers);
  await provisionKubernetes(servers.kube.server, servers.kube.caPem, servers.kube.token);
  const { controllerToken } = await provisionRealKubernetes(servers);
  const kube: SandboxKube = {
    server: servers.kube.server,
    caCertPath: servers.kube.caCertPath,
    caPem: servers.kube.caPem,
    token: servers.kube.token,
    adminKubeconfigPath: servers.kube.adminKubeconfigPath,
    cutWatches: () => void servers.kube.proxy.cut(),
    async compactAll() {
      await servers.etcd.compact();
      await servers.kube.apiserver.stop();
      await servers.kube.apiserver.start();
    },
    stop: () => servers.kube.stop(),
  };
  return { vault: servers.vault, kube, controllerKubeToken: controllerToken };
}

interface Stoppable {
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(options.dir);
  const hostname = options.hostname ?? "127.0.0.1";
  const backendName = options.backend ?? "stand-ins";
  await mkdir(dir, { recursive: true });
  const started: Stoppable[] = [];
  try {
    const { vault, kube, controllerKubeToken } =
      backendName === "real"
        ? await startReal(options, dir, hostname, started)
        : await startStandIns(options, dir, hostname, started);
    const provisioned = await provisionVault(vault.addr, vault.caPem, vault.rootToken);

    const pkiCaPath = join(dir, "pki-ca.pem");
    await writeFile(pkiCaPath, provisioned.pkiCaPem);
    // The files a pod's service account mount holds, for in-cluster auth exactly as in a real pod.
    const serviceAccountDir = join(dir, "serviceaccount");
    await mkdir(serviceAccountDir, { recursive: true });
    await writeFile(join(serviceAccountDir, "token"), controllerKubeToken, { mode: 0o600 });
    await writeFile(join(serviceAccountDir, "ca.crt"), kube.caPem);
    await writeFile(join(serviceAccountDir, "namespace"), CONTROLLER_NAMESPACE);

    const podsDir = join(dir, "pods");
    const kubelet = await startKubelet({
      server: kube.server,
      caPem: kube.caPem,
      token: kube.token,
      logDir: podsDir,
      ...(options.podIpPrefix ? { podIpPrefix: options.podIpPrefix } : {}),
      ...(options.initRestartBackoffMs !== undefined
        ? { restartBackoffBaseMs: options.initRestartBackoffMs }
        : {}),
    });
    started.push(kubelet);

    const description: SandboxDescription = {
      vault: { addr: vault.addr, caCert: vault.caCertPath, rootToken: vault.rootToken },
      kubernetes: {
        server: kube.server,
        caCert: kube.caCertPath,
        token: kube.token,
        kubeconfig: kube.adminKubeconfigPath,
        serviceAccountDir,
      },
      controller: {
        vaultToken: provisioned.controllerToken,
        vaultTokenAccessor: provisioned.controllerTokenAccessor,
        namespace: CONTROLLER_NAMESPACE,
        service: CONTROLLER_SERVICE,
        pkiMount: PKI_MOUNT,
        pkiRole: PKI_ROLE,
        allowList: SANDBOX_ALLOW_LIST,
        clusterKey: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
      },
      pki: { caCert: pkiCaPath },
      approles: Object.fromEntries(
        Object.entries(provisioned.roleIds).map(([role, roleId]) => [role, { roleId }]),
      ),
      kubelet: { podsDir },
    };
    const descriptionPath = join(dir, "sandbox.json");
    await writeFile(descriptionPath, `${JSON.stringify(description, null, 2)}\n`, { mode: 0o600 });
    return {
      backend: backendName,
      description,
      descriptionPath,
      vault,
      kube,
      kubelet,
      provisioned,
      async stop() {
        for (const part of started.reverse()) await part.stop().catch(() => {});
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.stop().catch(() => {});
    throw error;
  }
}
