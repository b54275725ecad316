/**
 * Pods for the replicated-controller tests: real compiled inits run by the kubelet stand-in, or fleet pods (same
 * lib/init code in one process, sim/fleet) for bursts too large for 2 cores; plus the Vault-side evidence of what
 * each pod received (successful AppRole logins by the pod's address).
 */
import type { Sandbox } from "../../sim/sandbox/index.ts";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import { INIT_CONTAINER, samplePod } from "../../sim/sandbox/workloads.ts";
import { compiledBinary } from "../support/binaries.ts";

export const NAMESPACE = "team-a";
export const ROLE = "demo-app";

interface PodStatus {
  metadata?: { uid?: string };
  status?: {
    podIP?: string;
    initContainerStatuses?: {
      name: string;
      state?: { running?: object; terminated?: { exitCode: number } };
    }[];
  };
}

export function kubeApi(sandbox: Sandbox): ApiCaller {
  return new ApiCaller(sandbox.kube.server, sandbox.kube.caPem, {
    authorization: `Bearer ${sandbox.description.kubernetes.token}`,
  });
}

export async function createPod(
  sandbox: Sandbox,
  kube: ApiCaller,
  name: string,
  nodeName?: string,
  options: { sidecar?: boolean } = {},
): Promise<void> {
  const pod = samplePod(sandbox.description, {
    namespace: NAMESPACE,
    name,
    role: ROLE,
    initCommand: [compiledBinary("init")],
    ...(options.sidecar ? { sidecar: true } : {}),
  });
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  await kube.call("POST", `/api/v1/namespaces/${NAMESPACE}/pods`, {
    ...pod,
    spec: { ...spec, ...(nodeName ? { nodeName } : {}) },
  });
}

export async function podStatus(kube: ApiCaller, name: string): Promise<PodStatus> {
  return (await kube.call("GET", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`)) as PodStatus;
}

/** The init container finished with exit 0: the pod received, unwrapped and used its secret_id. */
export function served(pod: PodStatus): boolean {
  const state = pod.status?.initContainerStatuses?.find((s) => s.name === INIT_CONTAINER)?.state;
  return state?.terminated?.exitCode === 0;
}

/** Successful AppRole logins per source address (each pod logs in from its own pod IP). */
export function loginsByAddress(sandbox: Sandbox): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of sandbox.vault.stats.requests) {
    if (record.path.replace(/^\/?(v1\/)?/, "") !== "auth/approle/login" || record.status !== 200) continue;
    const address = record.remoteAddress.replace(/^::ffff:/, "");
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  return counts;
}

/** secret_ids minted for a pod UID (the controller names the pod in the secret_id's metadata). */
export function mintsFor(sandbox: Sandbox, uid: string): number {
  return sandbox.vault.stats.mintedSecretIds(ROLE).filter((m) => m.metadata.uid === uid).length;
}
