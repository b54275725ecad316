/**
 * Pod manifests the benchmarks and the fleet test create: the sandbox's sample pod (sim/sandbox/workloads.ts,
 * written as the kustomize manifests write it), labelled `app=bench` so a run watches only its own pods, and
 * optionally bound to a node (`nodeName`): the fleet's (sim/fleet) or one nobody runs.
 */
import type { SandboxDescription } from "../../sim/sandbox/index.ts";
import { INIT_CONTAINER, samplePod } from "../../sim/sandbox/workloads.ts";

export { INIT_CONTAINER };
export const TOKEN_VOLUME = "vault-token";
export const BENCH_LABEL = "app=bench";

export interface PodTemplate {
  sandbox: SandboxDescription;
  namespace: string;
  role: string;
  /** The init container's command line (the compiled init for the kubelet; ignored by the fleet). */
  initCommand: string[];
  nodeName?: string;
  timeout?: string;
}

interface PodShape {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

export function podManifest(name: string, template: PodTemplate): PodShape & Record<string, unknown> {
  const pod = samplePod(template.sandbox, {
    name,
    namespace: template.namespace,
    role: template.role,
    initCommand: template.initCommand,
    ...(template.timeout ? { timeout: template.timeout } : {}),
  }) as PodShape & Record<string, unknown>;
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { app: "bench" } },
    spec: { ...pod.spec, ...(template.nodeName ? { nodeName: template.nodeName } : {}) },
  };
}
