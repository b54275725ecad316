/**
 * Runs one pod the way a kubelet does (https://kubernetes.io/docs/concepts/workloads/pods/init-containers/), each
 * init container as a real process: the lifecycle (order, CrashLoopBackOff with a base-doubling capped back-off:
 * 10 s and 5 min on a real node, https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts;
 * restartPolicy Never fails the pod) is pod-lifecycle.ts. Every transition is reported through `patchStatus`.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../lib/log/index.ts";
import type { JsonObject } from "../kube/json.ts";
import { type NodeFacts, NodePod, rfc3339 } from "./pod-lifecycle.ts";
import { type ContainerRecord, podStatusJson, type Terminated } from "./pod-status.ts";
import { type ContainerProcess, StartError, startProcess } from "./process.ts";

export interface WorkerDeps extends NodeFacts {
  killGraceMs: number;
  /** Reports the status; "gone" when the pod no longer exists. */
  patchStatus(namespace: string, name: string, status: JsonObject): Promise<"ok" | "gone">;
  log: Logger;
}

export class PodWorker extends NodePod {
  private readonly abort = new AbortController();
  private running: ContainerProcess | undefined;
  private finished: Promise<void> = Promise.resolve();

  constructor(
    pod: JsonObject,
    podIP: string,
    private readonly deps: WorkerDeps,
  ) {
    super(pod, podIP, deps);
  }

  logPaths(container: string, restartCount: number): { stdout: string; stderr: string } {
    const base = path.join(this.podDir, container, String(restartCount));
    return { stdout: `${base}.stdout.log`, stderr: `${base}.stderr.log` };
  }

  pids(): number[] {
    return this.running ? [this.running.pid] : [];
  }

  start(): void {
    this.finished = this.runLifecycle().catch((error: unknown) =>
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

  protected isStopped(): boolean {
    return this.abort.signal.aborted;
  }

  protected async report(): Promise<void> {
    if (this.abort.signal.aborted) return;
    const outcome = await this.deps.patchStatus(this.namespace, this.name, podStatusJson(this.view));
    if (outcome === "gone") this.abort.abort();
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  protected async runOnce(container: JsonObject, record: ContainerRecord): Promise<Terminated | undefined> {
    const startedAt = rfc3339(this.deps.now());
    const launch = await this.launch(container, record);
    if (!launch) return undefined;
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
