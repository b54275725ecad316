/**
 * Pod traffic for the controller figures: creating pods through the Kubernetes API (paced at a steady rate, or as
 * fast as `concurrency` allows), and watching them like any client would, noting when this process first saw each
 * pod's vault init container running and terminated (wall-clock ms).
 */
import { KubeConfig, type V1Pod, Watch } from "@kubernetes/client-node";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import { waitFor } from "../../tests/support/wait.ts";
import { INIT_CONTAINER } from "./pods.ts";

export function kubeCaller(sandbox: Sandbox): ApiCaller {
  return new ApiCaller(sandbox.kube.server, sandbox.kube.caPem, {
    authorization: `Bearer ${sandbox.kube.token}`,
  });
}

const CREATE_ATTEMPTS = 3;

/**
 * One create, retried when the connection broke (a kept-alive socket the server had just closed): the pod may
 * have been created before the break, so AlreadyExists on a retry counts as created.
 */
async function createOne(
  kube: ApiCaller,
  manifest: { metadata: { name: string; namespace: string } },
): Promise<void> {
  const path = `/api/v1/namespaces/${manifest.metadata.namespace}/pods`;
  for (let attempt = 1; ; attempt++) {
    try {
      await kube.call("POST", path, manifest);
      return;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt > 1 && message.includes(" -> 409")) return;
      const answered = / -> \d{3}:/.test(message);
      if (answered || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}

/** Creates the pods; with `perSecond` pod i is sent at start + i/perSecond whatever earlier answers took. */
export async function createPods(
  kube: ApiCaller,
  manifests: { metadata: { name: string; namespace: string } }[],
  options: { perSecond?: number; concurrency?: number } = {},
): Promise<void> {
  const concurrency = options.concurrency ?? 16;
  const began = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (const [i, manifest] of manifests.entries()) {
    if (options.perSecond) {
      const due = began + (i * 1000) / options.perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const created = createOne(kube, manifest).finally(() => inFlight.delete(created));
    inFlight.add(created);
  }
  await Promise.all(inFlight);
}

export interface PodObserver {
  runningSeenAt(name: string): number | undefined;
  terminatedSeenAt(name: string): number | undefined;
  exitCode(name: string): number | undefined;
  terminatedCount(): number;
  waitForTerminated(count: number, deadlineMs: number): Promise<void>;
  stop(): void;
}

export async function observePods(
  sandbox: Sandbox,
  namespace: string,
  labelSelector: string,
): Promise<PodObserver> {
  const config = new KubeConfig();
  config.loadFromFile(sandbox.description.kubernetes.kubeconfig);
  const running = new Map<string, number>();
  const terminated = new Map<string, { at: number; exitCode: number }>();
  let stopped = false;
  let controller: AbortController | undefined;
  const onEvent = (_type: string, pod: V1Pod) => {
    const name = pod.metadata?.name ?? "";
    const state = pod.status?.initContainerStatuses?.find((s) => s.name === INIT_CONTAINER)?.state;
    const now = Date.now();
    if (state?.running && !running.has(name)) running.set(name, now);
    if (state?.terminated && !terminated.has(name)) {
      if (!running.has(name)) running.set(name, now);
      terminated.set(name, { at: now, exitCode: state.terminated.exitCode });
    }
  };
  const start = async (): Promise<void> => {
    controller = await new Watch(config).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector },
      onEvent,
      () => {
        if (!stopped) setTimeout(() => void start(), 100);
      },
    );
  };
  await start();
  return {
    runningSeenAt: (name) => running.get(name),
    terminatedSeenAt: (name) => terminated.get(name)?.at,
    exitCode: (name) => terminated.get(name)?.exitCode,
    terminatedCount: () => terminated.size,
    waitForTerminated: (count, deadlineMs) =>
      waitFor(
        `${count} pods' init containers terminated`,
        () => terminated.size >= count,
        deadlineMs,
        50,
      ).then(() => undefined),
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
