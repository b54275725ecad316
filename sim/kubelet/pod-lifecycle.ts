/**
 * The kubelet's pod lifecycle, shared by the kubelet stand-in (pod-worker.ts: a process per container) and the
 * fleet (sim/fleet/fleet-pod.ts: lib/init in-process): volumes are made, init containers run one at a time, in
 * order, each to success; a failed one enters CrashLoopBackOff and is restarted after an exponential back-off
 * unless restartPolicy is Never, which fails the pod; when every init container has succeeded the main
 * containers are reported running and ready (no process is started for them). How a container runs, how a status
 * is reported and how a wait ends are the subclass's (NodePod).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { isJsonObject, type JsonObject } from "../kube/json.ts";
import {
  ContainerConfigError,
  type ContainerLaunch,
  containerLaunch,
  mountRewriter,
} from "./container-env.ts";
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

function listOf(object: JsonObject, key: string): JsonObject[] {
  const value = object[key];
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

/** What the node tells each pod it runs. */
export interface NodeFacts {
  podsDir: string;
  hostIP: string;
  nodeName: string;
  /** The environment every container starts from. */
  baseEnv: Readonly<Record<string, string>>;
  restartBackoffBaseMs: number;
  restartBackoffMaxMs: number;
  now(): Date;
}

/**
 * A pod the node runs: its identity, its status view and the kubelet's lifecycle. A subclass says how a container
 * runs once (`runOnce`), how a status is reported (`report`), whether the pod is stopped or gone (`isStopped`) and
 * how a back-off wait passes (`sleep`).
 */
export abstract class NodePod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** `<podsDir>/<namespace>_<name>_<uid>`, as a kubelet lays out its pods. */
  readonly podDir: string;
  protected readonly spec: JsonObject;
  protected readonly view: PodView;

  constructor(
    protected readonly pod: JsonObject,
    readonly podIP: string,
    private readonly node: NodeFacts,
  ) {
    const metadata = isJsonObject(pod.metadata) ? pod.metadata : {};
    this.namespace = text(metadata.namespace);
    this.name = text(metadata.name);
    this.uid = text(metadata.uid);
    this.podDir = path.join(node.podsDir, `${this.namespace}_${this.name}_${this.uid}`);
    this.spec = isJsonObject(pod.spec) ? pod.spec : {};
    const startTime = rfc3339(node.now());
    this.view = {
      phase: "Pending",
      podIP,
      hostIP: node.hostIP,
      startTime,
      transitionTime: startTime,
      initialized: false,
      ready: false,
      init: listOf(this.spec, "initContainers").map(newRecord),
      main: listOf(this.spec, "containers").map(newRecord),
      pendingInit: listOf(this.spec, "initContainers").map((c) => text(c.name)),
    };
  }

  volumeDir(volume: string): string {
    return path.join(this.podDir, "volumes", volume);
  }

  /** The container's command line and environment; undefined after reporting CreateContainerConfigError. */
  protected async launch(
    container: JsonObject,
    record: ContainerRecord,
  ): Promise<ContainerLaunch | undefined> {
    const facts = {
      pod: this.pod,
      podIP: this.podIP,
      hostIP: this.node.hostIP,
      nodeName: this.node.nodeName,
    };
    try {
      return containerLaunch(
        container,
        facts,
        this.node.baseEnv,
        mountRewriter(container, (v) => this.volumeDir(v)),
      );
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      record.state = { waiting: { reason: "CreateContainerConfigError", message: error.message } };
      await this.report();
      return undefined;
    }
  }

  /** True once the pod is stopped or gone: the lifecycle ends at its next step. */
  protected abstract isStopped(): boolean;
  protected abstract report(): Promise<unknown>;
  /** Runs the container once: how it ended, or undefined when it never ran or the pod went away meanwhile. */
  protected abstract runOnce(container: JsonObject, record: ContainerRecord): Promise<Terminated | undefined>;
  protected abstract sleep(ms: number): Promise<void>;

  protected async runLifecycle(): Promise<void> {
    for (const volume of listOf(this.spec, "volumes"))
      await mkdir(this.volumeDir(text(volume.name)), { recursive: true });
    await mkdir(this.podDir, { recursive: true });
    await this.report();
    for (const [index, container] of listOf(this.spec, "initContainers").entries()) {
      const record = this.view.init[index];
      if (!record || !(await this.runToCompletion(container, record))) return;
      this.view.pendingInit.shift();
    }
    if (this.isStopped()) return;
    const now = rfc3339(this.node.now());
    for (const record of this.view.main)
      Object.assign(record, { state: { running: { startedAt: now } }, ready: true, started: true });
    Object.assign(this.view, { phase: "Running", initialized: true, ready: true, transitionTime: now });
    await this.report();
  }

  /** Runs an init container until it exits 0 (true) or the pod fails or goes away (false). */
  private async runToCompletion(container: JsonObject, record: ContainerRecord): Promise<boolean> {
    for (let failures = 0; ; ) {
      if (this.isStopped()) return false;
      const terminated = await this.runOnce(container, record);
      if (!terminated || this.isStopped()) return false;
      Object.assign(record, { state: { terminated }, started: false, ready: terminated.exitCode === 0 });
      await this.report();
      if (terminated.exitCode === 0) return true;
      if (this.spec.restartPolicy === "Never") {
        this.view.phase = "Failed";
        await this.report();
        return false;
      }
      failures++;
      const backoff = { baseMs: this.node.restartBackoffBaseMs, maxMs: this.node.restartBackoffMaxMs };
      const delayMs = enterCrashLoop(record, terminated, failures, backoff, this);
      await this.report();
      await this.sleep(delayMs);
      if (this.isStopped()) return false;
      record.restartCount++;
    }
  }
}
