/**
 * One pod on the fleet node. Its init containers run in order, like a kubelet runs them: the one the pod's
 * `pod.boostport.com/vault-init-container` annotation names runs lib/init in this process (in-process-init.ts) on
 * the pod's own loopback address; any other init container is reported Completed without running anything. A
 * failed vault init is restarted after the kubelet's exponential back-off (restartPolicy Never fails the pod).
 * When all are done the main containers are reported running and ready. Status reports are sent in order.
 *
 * Unlike a kubelet, the vault init container is reported running only once it listens (a kubelet reports a
 * process as soon as it starts): the fleet measures the controller, not the init's start-up.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { createLogger, type Logger, type LogLevel } from "../../lib/log/index.ts";
import type { RunningServer } from "../../lib/runtime/index.ts";
import { isJsonObject, type JsonObject } from "../kube/json.ts";
import { type NodeFacts, NodePod, rfc3339, text } from "../kubelet/pod-lifecycle.ts";
import { type ContainerRecord, podStatusJson, type Terminated } from "../kubelet/pod-status.ts";
import { runInitInProcess } from "./in-process-init.ts";

export const INIT_CONTAINER_ANNOTATION = "pod.boostport.com/vault-init-container";
const LOG_LEVELS: readonly string[] = ["debug", "info", "warn", "error"];

export interface FleetPodDeps extends NodeFacts {
  report(namespace: string, name: string, status: JsonObject): Promise<"ok" | "gone">;
  log: Logger;
}

export class FleetPod extends NodePod {
  private stopped = false;
  private server: RunningServer | undefined;
  private listening = false;
  private reports: Promise<unknown> = Promise.resolve();
  private readonly vaultInitName: string;

  constructor(
    pod: JsonObject,
    podIP: string,
    private readonly deps: FleetPodDeps,
  ) {
    super(pod, podIP, deps);
    const metadata = isJsonObject(pod.metadata) ? pod.metadata : {};
    this.vaultInitName = isJsonObject(metadata.annotations)
      ? text(metadata.annotations[INIT_CONTAINER_ANNOTATION])
      : "";
  }

  logPath(container: string, restartCount: number): string {
    return path.join(this.podDir, container, `${restartCount}.log`);
  }

  /** True while the pod's init endpoint accepts connections. */
  isListening(): boolean {
    return this.listening;
  }

  start(): void {
    this.runLifecycle().catch((error: unknown) =>
      this.deps.log.error("fleet pod failed", { pod: `${this.namespace}/${this.name}`, error }),
    );
  }

  /** Closes the pod's endpoint and removes its volumes. A waiting runInit keeps only its timer until TIMEOUT. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    await this.server?.stop(true);
    await this.reports;
    await rm(path.join(this.podDir, "volumes"), { recursive: true, force: true });
  }

  protected isStopped(): boolean {
    return this.stopped;
  }

  /** Queues a report of the status as it is now; reports reach the API server in order. */
  protected report(): Promise<unknown> {
    const status = podStatusJson(this.view);
    this.reports = this.reports
      .then(async () => {
        if (this.stopped) return;
        if ((await this.deps.report(this.namespace, this.name, status)) === "gone") this.stopped = true;
      })
      .catch((error: unknown) => {
        this.deps.log.warn("pod status report failed", { pod: `${this.namespace}/${this.name}`, error });
      });
    return this.reports;
  }

  protected async runOnce(container: JsonObject, record: ContainerRecord): Promise<Terminated | undefined> {
    return text(container.name) === this.vaultInitName
      ? await this.runVaultInit(container, record)
      : this.finished(0, rfc3339(this.deps.now()), "");
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private finished(exitCode: number, startedAt: string, containerID: string): Terminated {
    return {
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      startedAt,
      finishedAt: rfc3339(this.deps.now()),
      containerID,
    };
  }

  private async runVaultInit(
    container: JsonObject,
    record: ContainerRecord,
  ): Promise<Terminated | undefined> {
    const env = (await this.launch(container, record))?.env;
    if (!env) return undefined;
    const logPath = this.logPath(record.name, record.restartCount);
    await mkdir(path.dirname(logPath), { recursive: true });
    const logFile = createWriteStream(logPath, { flags: "a" });
    const writeText = (line: string) => logFile.write(`${line}\n`);
    const level = LOG_LEVELS.includes(env.LOG_LEVEL ?? "") ? (env.LOG_LEVEL as LogLevel) : "info";
    const startedAt = rfc3339(this.deps.now());
    const containerID = `fleet://${this.uid}/${record.name}/${record.restartCount}`;
    try {
      const exitCode = await runInitInProcess({
        env,
        log: createLogger(level, { pod: `${this.namespace}/${this.name}` }, writeText),
        writeText,
        onListening: (server) => {
          this.server = server;
          if (this.stopped) {
            void server.stop(true);
            return;
          }
          this.listening = true;
          Object.assign(record, { containerID, state: { running: { startedAt } }, started: true });
          void this.report();
        },
      });
      this.listening = false;
      this.server = undefined;
      return this.stopped ? undefined : this.finished(exitCode, startedAt, containerID);
    } finally {
      logFile.end();
    }
  }
}
