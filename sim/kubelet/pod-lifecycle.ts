/**
 * The kubelet's pod lifecycle, shared by the kubelet stand-in (pod-worker.ts: a process per container) and the
 * fleet (sim/fleet/fleet-pod.ts: lib/init in-process): volumes are made, init containers run one at a time, in
 * order, each to success; a failed one enters CrashLoopBackOff and is restarted after an exponential back-off
 * unless restartPolicy is Never, which fails the pod; when every init container has succeeded the main
 * containers are reported running and ready (no process is started for them). How a container runs, how a status
 * is reported and how a wait ends are the caller's: `runOnce`, `report`, `sleep`.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { isJsonObject, type JsonObject } from "../kube/json.ts";
import {
  type ContainerRecord,
  enterCrashLoop,
  newRecord,
  type PodView,
  type Terminated,
} from "./pod-status.ts";

export const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Kubernetes timestamps carry whole seconds. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

export function listOf(object: JsonObject, key: string): JsonObject[] {
  const value = object[key];
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
  /** `<podsDir>/<namespace>_<name>_<uid>`, as a kubelet lays out its pods. */
  podDir: string;
  spec: JsonObject;
}

export function podIdentity(pod: JsonObject, podsDir: string): PodIdentity {
  const metadata = isJsonObject(pod.metadata) ? pod.metadata : {};
  const namespace = text(metadata.namespace);
  const name = text(metadata.name);
  const uid = text(metadata.uid);
  return {
    namespace,
    name,
    uid,
    podDir: path.join(podsDir, `${namespace}_${name}_${uid}`),
    spec: isJsonObject(pod.spec) ? pod.spec : {},
  };
}

/** A just-admitted pod: Pending, every container waiting in PodInitializing. */
export function newPodView(spec: JsonObject, podIP: string, hostIP: string, now: Date): PodView {
  const startTime = rfc3339(now);
  return {
    phase: "Pending",
    podIP,
    hostIP,
    startTime,
    transitionTime: startTime,
    initialized: false,
    ready: false,
    init: listOf(spec, "initContainers").map(newRecord),
    main: listOf(spec, "containers").map(newRecord),
    pendingInit: listOf(spec, "initContainers").map((c) => text(c.name)),
  };
}

export interface PodLifecycle extends PodIdentity {
  view: PodView;
  backoff: { baseMs: number; maxMs: number };
  volumeDir(volume: string): string;
  /** True once the pod is stopped or gone: the lifecycle ends at its next step. */
  stopped(): boolean;
  report(): Promise<unknown>;
  now(): Date;
  /** Runs the container once: how it ended, or undefined when it never ran or the pod went away meanwhile. */
  runOnce(container: JsonObject, record: ContainerRecord): Promise<Terminated | undefined>;
  sleep(ms: number): Promise<void>;
}

export async function runPodLifecycle(pod: PodLifecycle): Promise<void> {
  for (const volume of listOf(pod.spec, "volumes"))
    await mkdir(pod.volumeDir(text(volume.name)), { recursive: true });
  await mkdir(pod.podDir, { recursive: true });
  await pod.report();
  for (const [index, container] of listOf(pod.spec, "initContainers").entries()) {
    const record = pod.view.init[index];
    if (!record || !(await runToCompletion(pod, container, record))) return;
    pod.view.pendingInit.shift();
  }
  if (pod.stopped()) return;
  const now = rfc3339(pod.now());
  for (const record of pod.view.main)
    Object.assign(record, { state: { running: { startedAt: now } }, ready: true, started: true });
  Object.assign(pod.view, { phase: "Running", initialized: true, ready: true, transitionTime: now });
  await pod.report();
}

/** Runs an init container until it exits 0 (true) or the pod fails or goes away (false). */
async function runToCompletion(
  pod: PodLifecycle,
  container: JsonObject,
  record: ContainerRecord,
): Promise<boolean> {
  for (let failures = 0; ; ) {
    if (pod.stopped()) return false;
    const terminated = await pod.runOnce(container, record);
    if (!terminated || pod.stopped()) return false;
    Object.assign(record, { state: { terminated }, started: false, ready: terminated.exitCode === 0 });
    await pod.report();
    if (terminated.exitCode === 0) return true;
    if (pod.spec.restartPolicy === "Never") {
      pod.view.phase = "Failed";
      await pod.report();
      return false;
    }
    failures++;
    const delayMs = enterCrashLoop(record, terminated, failures, pod.backoff, pod);
    await pod.report();
    await pod.sleep(delayMs);
    if (pod.stopped()) return false;
    record.restartCount++;
  }
}
