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
import { startVaultSim } from "../vault/index.ts";
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

export interface SandboxOptions {
  dir: string;
  hostname?: string;
  /** 0 (default) picks free ports; the CLI asks for the usual ones (8200, 6443). */
  vaultPort?: number;
  kubePort?: number;
  /** Kubelet restart back-off base; Kubernetes uses 10 s, tests want less. */
  initRestartBackoffMs?: number;
  podIpPrefix?: string;
}

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

type VaultSim = Awaited<ReturnType<typeof startVaultSim>>;
type KubeSim = Awaited<ReturnType<typeof startKubeApiSim>>;
type Kubelet = Awaited<ReturnType<typeof startKubelet>>;

export interface Sandbox {
  description: SandboxDescription;
  descriptionPath: string;
  vault: VaultSim;
  kube: KubeSim;
  kubelet: Kubelet;
  provisioned: ProvisionedVault;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(options.dir);
  const hostname = options.hostname ?? "127.0.0.1";
  await mkdir(dir, { recursive: true });
  const started: { stop(): Promise<void> }[] = [];
  try {
    const vault = await startVaultSim({ hostname, port: options.vaultPort ?? 0, dir });
    started.push(vault);
    const kube = await startKubeApiSim({ hostname, port: options.kubePort ?? 0, dir });
    started.push(kube);
    const provisioned = await provisionVault(vault.addr, vault.caPem, vault.rootToken);
    await provisionKubernetes(kube.server, kube.caPem, kube.token);

    const pkiCaPath = join(dir, "pki-ca.pem");
    await writeFile(pkiCaPath, provisioned.pkiCaPem);
    // The files a pod's service account mount holds, for in-cluster auth exactly as in a real pod.
    const serviceAccountDir = join(dir, "serviceaccount");
    await mkdir(serviceAccountDir, { recursive: true });
    await writeFile(join(serviceAccountDir, "token"), kube.token, { mode: 0o600 });
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
