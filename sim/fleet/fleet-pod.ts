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
import { ContainerConfigError, containerLaunch, mountRewriter } from "../kubelet/container-env.ts";
import { newPodView, podIdentity, rfc3339, runPodLifecycle, text } from "../kubelet/pod-lifecycle.ts";
import { type ContainerRecord, type PodView, podStatusJson, type Terminated } from "../kubelet/pod-status.ts";
import { runInitInProcess } from "./in-process-init.ts";

export const INIT_CONTAINER_ANNOTATION = "pod.boostport.com/vault-init-container";
const LOG_LEVELS: readonly string[] = ["debug", "info", "warn", "error"];

export interface FleetPodDeps {
  podsDir: string;
  hostIP: string;
  nodeName: string;
  baseEnv: Readonly<Record<string, string>>;
  restartBackoffBaseMs: number;
  restartBackoffMaxMs: number;
  report(namespace: string, name: string, status: JsonObject): Promise<"ok" | "gone">;
  now(): Date;
  log: Logger;
}

export class FleetPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly podDir: string;
  private stopped = false;
  private server: RunningServer | undefined;
  private listening = false;
  private reports: Promise<unknown> = Promise.resolve();
  private readonly view: PodView;
  private readonly spec: JsonObject;
  private readonly vaultInitName: string;

  constructor(
    private readonly pod: JsonObject,
    readonly podIP: string,
    private readonly deps: FleetPodDeps,
  ) {
    const identity = podIdentity(pod, deps.podsDir);
    this.namespace = identity.namespace;
    this.name = identity.name;
    this.uid = identity.uid;
    this.podDir = identity.podDir;
    this.spec = identity.spec;
    const metadata = isJsonObject(pod.metadata) ? pod.metadata : {};
    this.vaultInitName = isJsonObject(metadata.annotations)
      ? text(metadata.annotations[INIT_CONTAINER_ANNOTATION])
      : "";
    this.view = newPodView(this.spec, podIP, deps.hostIP, deps.now());
  }

  volumeDir(volume: string): string {
    return path.join(this.podDir, "volumes", volume);
  }

  logPath(container: string, restartCount: number): string {
    return path.join(this.podDir, container, `${restartCount}.log`);
  }

  /** True while the pod's init endpoint accepts connections. */
  isListening(): boolean {
    return this.listening;
  }

  start(): void {
    this.run().catch((error: unknown) =>
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

  /** Queues a report of the status as it is now; reports reach the API server in order. */
  private report(): Promise<unknown> {
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

  private run(): Promise<void> {
    return runPodLifecycle({
      namespace: this.namespace,
      name: this.name,
      uid: this.uid,
      podDir: this.podDir,
      view: this.view,
      spec: this.spec,
      backoff: { baseMs: this.deps.restartBackoffBaseMs, maxMs: this.deps.restartBackoffMaxMs },
      volumeDir: (volume) => this.volumeDir(volume),
      stopped: () => this.stopped,
      report: () => this.report(),
      now: () => this.deps.now(),
      runOnce: async (container, record) =>
        text(container.name) === this.vaultInitName
          ? await this.runVaultInit(container, record)
          : this.finished(0, rfc3339(this.deps.now()), ""),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
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
    const facts = {
      pod: this.pod,
      podIP: this.podIP,
      hostIP: this.deps.hostIP,
      nodeName: this.deps.nodeName,
    };
    let env: Record<string, string>;
    try {
      env = containerLaunch(
        container,
        facts,
        this.deps.baseEnv,
        mountRewriter(container, (v) => this.volumeDir(v)),
      ).env;
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      record.state = { waiting: { reason: "CreateContainerConfigError", message: error.message } };
      await this.report();
      return undefined;
    }
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
