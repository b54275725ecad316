/**
 * Kubelet stand-in: one node that runs every unscheduled pod of the API server, talking to it over HTTPS with a bearer
 * token like a real kubelet (a @kubernetes/client-node 1.4.0 informer for pods; strategic-merge PATCHes of
 * `pods/status`). Each new Pending pod gets its own loopback IP (`<podIpPrefix>.x.y`, reported as status.podIP and
 * podIPs), its init containers run as real child processes (see pod-worker.ts), and its main containers are then
 * reported running. Deleting a pod kills its processes and removes its emptyDir volumes; `stop()` kills every
 * process it started.
 *
 * Files: `<logDir>/<namespace>_<name>_<uid>/` is the pod's directory (the processes' working directory),
 * `<container>/<restartCount>.stdout.log|.stderr.log` its logs, and `volumes/<volumeName>/` each volume. A volume's
 * mountPath is rewritten to that directory in every env value, command and arg (container-env.ts).
 *
 * As a kubelet, it registers its Node (`nodeName`, default kube-sim-node: POST nodes, then nodes/status Ready),
 * binds every unscheduled pod to itself through pods/binding (the sandbox has no scheduler), and finishes the
 * graceful deletion of its pods: when a pod gets metadata.deletionTimestamp it kills the processes and deletes the
 * pod with gracePeriodSeconds 0 and a uid precondition (node-api.ts, shared with sim/fleet).
 *
 * What it does NOT do: images (the command runs on the host), main-container processes, probes, resources,
 * secret/configMap env or volumes (CreateContainerConfigError), sidecar init containers (restartPolicy: Always in
 * an init container), the grace period itself (SIGTERM, then SIGKILL after `killGraceMs`, whatever the pod's
 * terminationGracePeriodSeconds), node heartbeats or leases (the Node is reported Ready once, at start).
 */
import path from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { createLogger, type Logger } from "../../lib/log/index.ts";
import { isJsonObject, type JsonObject } from "../kube/json.ts";
import { IpPool } from "./ip-pool.ts";
import { type NodeRuntime, nodeBaseEnv, openNodeApi, runNodeAgent } from "./node-api.ts";
import { PodWorker } from "./pod-worker.ts";

export interface KubeletOptions {
  server: string;
  caPem: string;
  token: string;
  /** One to three octets; each pod gets the next free address under it. Default "127.1". */
  podIpPrefix?: string;
  logDir: string;
  /** Added to every container's environment (PATH is inherited from this process unless given here). */
  extraEnv?: Record<string, string>;
  /** First restart delay of a failed container; doubles per failure. Default 10 s, as on a real node. */
  restartBackoffBaseMs?: number;
  /** Cap of the restart delay. Default 5 min. */
  restartBackoffMaxMs?: number;
  /** SIGTERM to SIGKILL delay when a pod is deleted. Default 2 s. */
  killGraceMs?: number;
  nodeName?: string;
  logger?: Logger;
}

export interface Kubelet {
  stop(): Promise<void>;
  podIpFor(namespace: string, name: string): string | undefined;
  /** The pod's directory (working directory of its processes), or undefined if the kubelet does not run it. */
  podDirFor(namespace: string, name: string): string | undefined;
  /** Host directory standing in for the pod's volume `volume` (what its mountPath is rewritten to). */
  volumeDirFor(namespace: string, name: string, volume: string): string | undefined;
  logPathsFor(
    namespace: string,
    name: string,
    container: string,
    restartCount?: number,
  ): { stdout: string; stderr: string } | undefined;
  /** PIDs of container processes running now (tests check they are gone after deletion). */
  runningPids(): number[];
}

const HOST_IP = "127.0.0.1";

export async function startKubelet(options: KubeletOptions): Promise<Kubelet> {
  const log = options.logger ?? createLogger("warn", { component: "kubelet-sim" });
  const pool = new IpPool(options.podIpPrefix ?? "127.1");
  const workers = new Map<string, PodWorker>();
  let stopped = false;

  const nodeApi = openNodeApi({ ...options, user: "kubelet", log });

  const deps = {
    podsDir: path.resolve(options.logDir),
    hostIP: HOST_IP,
    nodeName: options.nodeName ?? "kube-sim-node",
    baseEnv: nodeBaseEnv(options.server, options.extraEnv),
    restartBackoffBaseMs: options.restartBackoffBaseMs ?? 10_000,
    restartBackoffMaxMs: options.restartBackoffMaxMs ?? 300_000,
    killGraceMs: options.killGraceMs ?? 2_000,
    patchStatus: nodeApi.patchStatus,
    now: () => new Date(),
    log,
  };

  const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
  const workerFor = (namespace: string, name: string) => workers.get(keyOf(namespace, name));

  const removeWorker = async (worker: PodWorker) => {
    if (workers.get(keyOf(worker.namespace, worker.name)) === worker)
      workers.delete(keyOf(worker.namespace, worker.name));
    await worker.stop();
    pool.release(worker.podIP);
  };

  const runtime: NodeRuntime = {
    run(pod: V1Pod) {
      const { namespace = "", name = "", uid = "" } = pod.metadata ?? {};
      const existing = workerFor(namespace, name);
      if (stopped || (existing && existing.uid === uid)) return;
      // Same name, new uid: the old pod was deleted while we were not watching (a re-list showed the new one).
      if (existing) void removeWorker(existing);
      if (pod.status?.phase && pod.status.phase !== "Pending") return;
      const json = JSON.parse(JSON.stringify(pod)) as JsonObject;
      // An unscheduled pod runs as the one bound here that it is about to be (the downward API's spec.nodeName).
      if (isJsonObject(json.spec) && !json.spec.nodeName) json.spec.nodeName = deps.nodeName;
      const worker = new PodWorker(json, pool.allocate(), {
        ...deps,
        baseEnv: { ...deps.baseEnv, HOSTNAME: name },
      });
      workers.set(keyOf(namespace, name), worker);
      log.info("starting pod", { pod: keyOf(namespace, name), podIP: worker.podIP });
      worker.start();
    },
    async stop(namespace, name, uid) {
      const worker = workerFor(namespace, name);
      if (!worker || (uid && worker.uid !== uid)) return;
      log.info("pod deleted, killing its processes", { pod: keyOf(namespace, name) });
      await removeWorker(worker);
    },
  };

  await runNodeAgent(nodeApi, runtime, {
    nodeName: deps.nodeName,
    hostIP: HOST_IP,
    claimUnscheduled: true,
    log,
  });

  return {
    podIpFor: (namespace, name) => workerFor(namespace, name)?.podIP,
    podDirFor: (namespace, name) => workerFor(namespace, name)?.podDir,
    volumeDirFor: (namespace, name, volume) => workerFor(namespace, name)?.volumeDir(volume),
    logPathsFor: (namespace, name, container, restartCount = 0) =>
      workerFor(namespace, name)?.logPaths(container, restartCount),
    runningPids: () => [...workers.values()].flatMap((worker) => worker.pids()),
    async stop() {
      stopped = true;
      await nodeApi.stopWatching();
      await Promise.all([...workers.values()].map(removeWorker));
      nodeApi.close();
    },
  };
}
