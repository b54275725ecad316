/**
 * Runs one pod the way a kubelet does (https://kubernetes.io/docs/concepts/workloads/pods/init-containers/): init
 * containers one at a time, in order, each to successful completion; a failed one is restarted after an exponential
 * back-off (base doubling, capped: 10 s and 5 min on a real node,
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts) unless restartPolicy is
 * Never, which fails the pod. When every init container has succeeded the main containers are reported running and
 * ready (no process is started for them). Every transition is reported through `patchStatus`.
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../lib/log/index.ts";
import { isJsonObject, type JsonObject } from "../kube/json.ts";
import { ContainerConfigError, containerLaunch, mountRewriter } from "./container-env.ts";
import {
  type ContainerRecord,
  enterCrashLoop,
  newRecord,
  type PodView,
  podStatusJson,
  type Terminated,
} from "./pod-status.ts";
import { type ContainerProcess, StartError, startProcess } from "./process.ts";

export interface WorkerDeps {
  podsDir: string;
  hostIP: string;
  nodeName: string;
  baseEnv: Readonly<Record<string, string>>;
  restartBackoffBaseMs: number;
  restartBackoffMaxMs: number;
  killGraceMs: number;
  /** Reports the status; "gone" when the pod no longer exists. */
  patchStatus(namespace: string, name: string, status: JsonObject): Promise<"ok" | "gone">;
  now(): Date;
  log: Logger;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function containersOf(spec: JsonObject, list: string): JsonObject[] {
  const value = spec[list];
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

export class PodWorker {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly podDir: string;
  private readonly abort = new AbortController();
  private readonly view: PodView;
  private running: ContainerProcess | undefined;
  private finished: Promise<void> = Promise.resolve();

  constructor(
    private readonly pod: JsonObject,
    readonly podIP: string,
    private readonly deps: WorkerDeps,
  ) {
    const metadata = isJsonObject(pod.metadata) ? pod.metadata : {};
    this.namespace = text(metadata.namespace);
    this.name = text(metadata.name);
    this.uid = text(metadata.uid);
    this.podDir = path.join(deps.podsDir, `${this.namespace}_${this.name}_${this.uid}`);
    const spec = this.spec();
    const startTime = rfc3339(deps.now());
    this.view = {
      phase: "Pending",
      podIP,
      hostIP: deps.hostIP,
      startTime,
      transitionTime: startTime,
      initialized: false,
      ready: false,
      init: containersOf(spec, "initContainers").map(newRecord),
      main: containersOf(spec, "containers").map(newRecord),
      pendingInit: containersOf(spec, "initContainers").map((c) => text(c.name)),
    };
  }

  volumeDir(volume: string): string {
    return path.join(this.podDir, "volumes", volume);
  }

  logPaths(container: string, restartCount: number): { stdout: string; stderr: string } {
    const base = path.join(this.podDir, container, String(restartCount));
    return { stdout: `${base}.stdout.log`, stderr: `${base}.stderr.log` };
  }

  pids(): number[] {
    return this.running ? [this.running.pid] : [];
  }

  start(): void {
    this.finished = this.run().catch((error: unknown) =>
      this.deps.log.error("pod worker failed", { pod: `${this.namespace}/${this.name}`, error }),
    );
  }

  /** Kills the pod's process (if any), waits for the worker to end, and removes the pod's volumes. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.stop(this.deps.killGraceMs);
    await this.finished;
    await rm(path.join(this.podDir, "volumes"), { recursive: true, force: true });
  }

  private spec(): JsonObject {
    return isJsonObject(this.pod.spec) ? this.pod.spec : {};
  }

  private async report(): Promise<void> {
    if (this.abort.signal.aborted) return;
    const outcome = await this.deps.patchStatus(this.namespace, this.name, podStatusJson(this.view));
    if (outcome === "gone") this.abort.abort();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async run(): Promise<void> {
    for (const volume of containersOf(this.spec(), "volumes"))
      await mkdir(this.volumeDir(text(volume.name)), { recursive: true });
    await mkdir(this.podDir, { recursive: true });
    await this.report();
    const inits = containersOf(this.spec(), "initContainers");
    for (const [index, container] of inits.entries()) {
      const record = this.view.init[index];
      if (!record || !(await this.runToCompletion(container, record))) return;
      this.view.pendingInit.shift();
    }
    if (this.abort.signal.aborted) return;
    const now = rfc3339(this.deps.now());
    for (const record of this.view.main) {
      record.state = { running: { startedAt: now } };
      record.ready = true;
      record.started = true;
    }
    Object.assign(this.view, { phase: "Running", initialized: true, ready: true, transitionTime: now });
    await this.report();
  }

  /** Runs an init container until it exits 0 (true) or the pod fails or goes away (false). */
  private async runToCompletion(container: JsonObject, record: ContainerRecord): Promise<boolean> {
    for (let failures = 0; ; ) {
      if (this.abort.signal.aborted) return false;
      const terminated = await this.runOnce(container, record);
      if (!terminated) return false;
      record.state = { terminated };
      record.started = false;
      if (terminated.exitCode === 0) {
        record.ready = true;
        await this.report();
        return true;
      }
      await this.report();
      if (this.spec().restartPolicy === "Never") {
        this.view.phase = "Failed";
        await this.report();
        return false;
      }
      failures++;
      const delayMs = enterCrashLoop(
        record,
        terminated,
        failures,
        { baseMs: this.deps.restartBackoffBaseMs, maxMs: this.deps.restartBackoffMaxMs },
        this,
      );
      await this.report();
      await this.sleep(delayMs);
      if (this.abort.signal.aborted) return false;
      record.restartCount++;
    }
  }

  private async runOnce(container: JsonObject, record: ContainerRecord): Promise<Terminated | undefined> {
    const facts = {
      pod: this.pod,
      podIP: this.podIP,
      hostIP: this.deps.hostIP,
      nodeName: this.deps.nodeName,
    };
    const startedAt = rfc3339(this.deps.now());
    let launch: ReturnType<typeof containerLaunch>;
    try {
      launch = containerLaunch(
        container,
        facts,
        this.deps.baseEnv,
        mountRewriter(container, (v) => this.volumeDir(v)),
      );
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      record.state = { waiting: { reason: "CreateContainerConfigError", message: error.message } };
      await this.report();
      return undefined;
    }
    const finish = (exitCode: number, reason: string, containerID: string, message?: string): Terminated => ({
      exitCode,
      reason,
      ...(message ? { message } : {}),
      startedAt,
      finishedAt: rfc3339(this.deps.now()),
      containerID,
    });
    try {
      const child = await startProcess(
        launch.argv,
        launch.env,
        this.podDir,
        this.logPaths(record.name, record.restartCount),
      );
      this.running = child;
      if (this.abort.signal.aborted) {
        await child.stop(this.deps.killGraceMs);
        return undefined;
      }
      const containerID = `kube-sim://${child.pid}`;
      record.containerID = containerID;
      record.state = { running: { startedAt } };
      record.started = true;
      await this.report();
      const exitCode = await child.exited;
      this.running = undefined;
      if (this.abort.signal.aborted) return undefined;
      return finish(exitCode, exitCode === 0 ? "Completed" : "Error", containerID);
    } catch (error) {
      if (!(error instanceof StartError)) throw error;
      return finish(128, "StartError", "", error.message);
    }
  }
}
