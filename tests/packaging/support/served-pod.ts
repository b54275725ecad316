/**
 * A controller under test (containerised, or under Deno) serving one pod of the sandbox: wait until it is ready,
 * create an annotated pod the kubelet stand-in runs with the compiled init, wait for the init container to finish,
 * and read the token file from the pod's volume.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHttpClient } from "../../../lib/runtime/index.ts";
import type { Sandbox } from "../../../sim/sandbox/index.ts";
import { ApiCaller } from "../../../sim/sandbox/provision.ts";
import { samplePod } from "../../../sim/sandbox/workloads.ts";
import { compiledBinary } from "../../support/binaries.ts";
import type { TestProcess } from "../../support/processes.ts";
import { waitFor } from "../../support/wait.ts";
import { SAMPLE_ROLE } from "./controller-side.ts";

/** Polls the controller's /readyz; fails at once, with its output, if the process exits instead. */
export async function waitUntilReady(controller: TestProcess, healthUrl: string): Promise<void> {
  const health = createHttpClient({ keepAlive: false, timeoutMs: 5_000 });
  try {
    const outcome = await waitFor(
      `the controller to be ready at ${healthUrl} (log: ${controller.logPath})`,
      async () => {
        if (controller.exitCode() !== null) return "exited";
        return (await health.fetch(healthUrl)).status === 200 && "ready";
      },
      150_000,
    );
    if (outcome === "exited") throw new Error(`the controller exited:\n${controller.output()}`);
  } finally {
    health.close();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: pod JSON as served by the API stand-in
type Pod = any;

export interface ServedPod {
  podIp: string;
  initExitCode: number;
  token: { clientToken: string; accessor: string };
}

/** Creates `namespace/name` asking for SAMPLE_ROLE and waits until its init container has finished. */
export async function servePod(
  sandbox: Sandbox,
  namespace: string,
  name: string,
  controllerLog: string,
): Promise<ServedPod> {
  const description = sandbox.description;
  const kube = new ApiCaller(description.kubernetes.server, sandbox.kube.caPem, {
    authorization: `Bearer ${description.kubernetes.token}`,
  });
  const manifest = samplePod(description, {
    namespace,
    name,
    role: SAMPLE_ROLE,
    initCommand: [compiledBinary("init")],
    timeout: "3m",
  });
  await kube.call("POST", `/api/v1/namespaces/${namespace}/pods`, manifest);
  const initState = (pod: Pod) =>
    (pod?.status?.initContainerStatuses ?? []).find((s: Pod) => s.name === "vault-init")?.state;
  const done: Pod = await waitFor(
    `pod ${namespace}/${name}'s init container to finish (controller log: ${controllerLog})`,
    async () => {
      const pod: Pod = await kube.call("GET", `/api/v1/namespaces/${namespace}/pods/${name}`);
      return initState(pod)?.terminated ? pod : undefined;
    },
    150_000,
  );
  const volume = sandbox.kubelet.volumeDirFor(namespace, name, "vault-token");
  if (volume === undefined) throw new Error(`pod ${namespace}/${name} has no vault-token volume`);
  return {
    podIp: String(done.status.podIP),
    initExitCode: Number(initState(done).terminated.exitCode),
    token: JSON.parse(readFileSync(join(volume, "vault-token"), "utf8")),
  };
}
