/**
 * The fleet node: many pods' init endpoints in one process (issue 8, "What runs where"). A compiled init costs about
 * 50 MB of RSS and tens of milliseconds of CPU to start, so a thousand of them do not fit on a 2-core machine; the
 * fleet runs the same lib/init code (real TLS with the client-certificate check, real lookup/unwrap/login against
 * Vault from the pod's address, real token files) for every pod bound to its node, each on its own loopback
 * address. The controller's side stays fully real: it watches the API, mints, and pushes over HTTPS.
 *
 * Contract: like a kubelet, it registers its Node, watches pods over HTTPS with a bearer token and runs the
 * Pending pods whose `spec.nodeName` is `nodeName` (default "fleet-node"; the kubelet stand-in leaves pods bound to
 * other nodes alone), and finishes their graceful deletion (stop, then DELETE with grace 0 and a uid precondition;
 * sim/kubelet/node-api.ts, shared with the kubelet stand-in). Each gets the next free `<podIpPrefix>.x.y` address (default "127.2", apart from the kubelet's "127.1"),
 * reported as status.podIP, and the files layout `<podsDir>/<namespace>_<name>_<uid>/volumes/<volume>/`.
 * `stop()` closes every endpoint. See README.md for what it does not do.
 */
import path from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { createLogger, type Logger } from "../../lib/log/index.ts";
import type { JsonObject } from "../kube/json.ts";
import { IpPool } from "../kubelet/ip-pool.ts";
import { type NodeRuntime, nodeBaseEnv, openNodeApi, runNodeAgent } from "../kubelet/node-api.ts";
import { FleetPod } from "./fleet-pod.ts";

export const FLEET_NODE_NAME = "fleet-node";
export const FLEET_IP_PREFIX = "127.2";

export interface FleetOptions {
  server: string;
  caPem: string;
  token: string;
  podsDir: string;
  nodeName?: string;
  podIpPrefix?: string;
  /** Added to every init container's environment. */
  extraEnv?: Record<string, string>;
  /** First restart delay of a failed init; doubles per failure (10 s and 5 min on a real node). */
  restartBackoffBaseMs?: number;
  restartBackoffMaxMs?: number;
  logger?: Logger;
}

export interface Fleet {
  readonly nodeName: string;
  podIpFor(namespace: string, name: string): string | undefined;
  volumeDirFor(namespace: string, name: string, volume: string): string | undefined;
  /** The init container's log lines (JSON, as the executable would print them). */
  logPathFor(namespace: string, name: string, container: string, restartCount?: number): string | undefined;
  /** Pods whose init endpoint is accepting connections now. */
  listeningCount(): number;
  podCount(): number;
  stop(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const nodeName = options.nodeName ?? FLEET_NODE_NAME;
  const log = options.logger ?? createLogger("warn", { component: "fleet-sim" });
  const pool = new IpPool(options.podIpPrefix ?? FLEET_IP_PREFIX);
  const pods = new Map<string, FleetPod>();
  let stopped = false;
  const nodeApi = openNodeApi({ ...options, user: "fleet", log });
  const deps = {
    podsDir: path.resolve(options.podsDir),
    hostIP: "127.0.0.1",
    nodeName,
    baseEnv: nodeBaseEnv(options.server, options.extraEnv),
    restartBackoffBaseMs: options.restartBackoffBaseMs ?? 10_000,
    restartBackoffMaxMs: options.restartBackoffMaxMs ?? 300_000,
    report: nodeApi.patchStatus,
    now: () => new Date(),
    log,
  };
  const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
  const podFor = (namespace: string, name: string) => pods.get(keyOf(namespace, name));

  const remove = async (pod: FleetPod) => {
    if (podFor(pod.namespace, pod.name) === pod) pods.delete(keyOf(pod.namespace, pod.name));
    await pod.stop();
    pool.release(pod.podIP);
  };

  const runtime: NodeRuntime = {
    run(pod: V1Pod) {
      const { namespace = "", name = "", uid = "" } = pod.metadata ?? {};
      if (stopped) return;
      const existing = podFor(namespace, name);
      if (existing?.uid === uid) return;
      if (existing) void remove(existing);
      if (pod.status?.phase && pod.status.phase !== "Pending") return;
      const fleetPod = new FleetPod(JSON.parse(JSON.stringify(pod)) as JsonObject, pool.allocate(), {
        ...deps,
        baseEnv: { ...deps.baseEnv, HOSTNAME: name },
      });
      pods.set(keyOf(namespace, name), fleetPod);
      fleetPod.start();
    },
    async stop(namespace, name, uid) {
      const existing = podFor(namespace, name);
      if (existing && (!uid || existing.uid === uid)) await remove(existing);
    },
  };

  // Only pods created bound to this node are its own (claimUnscheduled false): the kubelet stand-in takes the rest.
  await runNodeAgent(nodeApi, runtime, { nodeName, hostIP: deps.hostIP, claimUnscheduled: false, log });

  return {
    nodeName,
    podIpFor: (namespace, name) => podFor(namespace, name)?.podIP,
    volumeDirFor: (namespace, name, volume) => podFor(namespace, name)?.volumeDir(volume),
    logPathFor: (namespace, name, container, restartCount = 0) =>
      podFor(namespace, name)?.logPath(container, restartCount),
    listeningCount: () => [...pods.values()].filter((pod) => pod.isListening()).length,
    podCount: () => pods.size,
    async stop() {
      stopped = true;
      await nodeApi.stopWatching();
      await Promise.all([...pods.values()].map(remove));
      nodeApi.close();
    },
  };
}
