/**
 * Builders for the pod status the kubelet reports: container states (waiting / running / terminated with the
 * reasons real kubelets use: PodInitializing, CrashLoopBackOff, Completed, Error, StartError,
 * CreateContainerConfigError), conditions and phase (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/).
 */
import type { Json, JsonObject } from "../kube/json.ts";

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: Terminated };

export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export interface ContainerRecord {
  name: string;
  image: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  restartCount: number;
  ready: boolean;
  started: boolean;
  containerID?: string;
}

export function newRecord(container: JsonObject): ContainerRecord {
  return {
    name: String(container.name ?? ""),
    image: String(container.image ?? ""),
    state: { waiting: { reason: "PodInitializing" } },
    lastState: {},
    restartCount: 0,
    ready: false,
    started: false,
  };
}

export function containerStatusJson(record: ContainerRecord): JsonObject {
  return {
    name: record.name,
    state: record.state as unknown as Json,
    lastState: record.lastState as unknown as Json,
    ready: record.ready,
    restartCount: record.restartCount,
    image: record.image,
    imageID: "",
    started: record.started,
    ...(record.containerID ? { containerID: record.containerID } : {}),
  };
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export interface PodView {
  phase: PodPhase;
  podIP: string;
  hostIP: string;
  startTime: string;
  initialized: boolean;
  ready: boolean;
  /** Names of init containers not yet completed, for the Initialized condition's message. */
  pendingInit: string[];
  transitionTime: string;
  init: ContainerRecord[];
  main: ContainerRecord[];
}

function condition(type: string, ok: boolean, at: string, reason?: string, message?: string): JsonObject {
  return {
    type,
    status: ok ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: at,
    ...(ok || !reason ? {} : { reason }),
    ...(ok || !message ? {} : { message }),
  };
}

export function podStatusJson(view: PodView): JsonObject {
  const at = view.transitionTime;
  const notReady = view.main.filter((c) => !c.ready).map((c) => c.name);
  return {
    phase: view.phase,
    conditions: [
      condition("PodReadyToStartContainers", true, at),
      condition(
        "Initialized",
        view.initialized,
        at,
        "ContainersNotInitialized",
        `containers with incomplete status: [${view.pendingInit.join(" ")}]`,
      ),
      condition(
        "Ready",
        view.ready,
        at,
        "ContainersNotReady",
        `containers with unready status: [${notReady.join(" ")}]`,
      ),
      condition(
        "ContainersReady",
        view.ready,
        at,
        "ContainersNotReady",
        `containers with unready status: [${notReady.join(" ")}]`,
      ),
      condition("PodScheduled", true, at),
    ],
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    podIP: view.podIP,
    podIPs: [{ ip: view.podIP }],
    startTime: view.startTime,
    initContainerStatuses: view.init.map(containerStatusJson),
    containerStatuses: view.main.map(containerStatusJson),
    qosClass: "BestEffort",
  };
}

/**
 * A failed container enters CrashLoopBackOff: its failure becomes lastState and it waits base × 2^(failures-1),
 * capped, as a real kubelet does. Returns that delay in ms.
 */
export function enterCrashLoop(
  record: ContainerRecord,
  terminated: Terminated,
  failures: number,
  backoff: { baseMs: number; maxMs: number },
  pod: { name: string; namespace: string; uid: string },
): number {
  const delayMs = Math.min(backoff.baseMs * 2 ** (failures - 1), backoff.maxMs);
  record.lastState = { terminated };
  record.state = {
    waiting: {
      reason: "CrashLoopBackOff",
      message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${record.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
    },
  };
  return delayMs;
}
