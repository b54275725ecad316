/**
 * Compiled controller replicas that find each other by gossip (no RAFT_PEERS): each has a name and its own RAFT_DIR
 * for its whole life and may restart on a new address, as a StatefulSet pod does; the controller Service's
 * Endpoints are published by hand for them (the sandbox has no endpoints controller). Processes are stopped by pid.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { publishControllerEndpoints } from "../../sim/sandbox/endpoints.ts";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import { CONTROLLER_PORTS, controllerEnv } from "../../sim/sandbox/workloads.ts";
import { type LogLine, parseLines } from "../raft-e2e/controllers.ts";
import { compiledBinary } from "../support/binaries.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

export interface GossipReplica {
  readonly name: string;
  ip(): string;
  running(): boolean;
  /** The pid of the current run, or undefined before the first start (for /proc/<pid>/status). */
  pid(): number | undefined;
  /** Parsed JSON log lines of every run so far. */
  lines(): LogLine[];
  metrics(): Promise<string>;
  isLeader(): Promise<boolean>;
  /** GET /readyz on the health port answers 200 (what the kubelet's readiness probe asks). */
  isReady(): Promise<boolean>;
  /** Starts (again) on `ip`, and waits until it serves /metrics. */
  start(ip: string): Promise<void>;
  /** SIGKILL: no goodbye, peers must detect the failure. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit: leadership handed over, gossip left. */
  terminate(): Promise<void>;
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? response.text() : "";
}

export function createReplica(sandbox: Sandbox, dir: string, index: number): GossipReplica {
  const name = `kubernetes-vault-${index}`;
  const home = join(dir, name);
  mkdirSync(join(home, "raft"), { recursive: true });
  const runs: TestProcess[] = [];
  let ip = "";
  const last = () => runs[runs.length - 1];
  const running = () => last()?.exitCode() === null;
  const metrics = () => fetchText(`http://${ip}:${CONTROLLER_PORTS.metrics}/metrics`);
  return {
    name,
    ip: () => ip,
    running,
    pid: () => last()?.pid,
    lines: () => runs.flatMap((run) => parseLines(run.output())),
    metrics,
    isReady: async () => {
      if (!running()) return false;
      const url = `http://${ip}:${CONTROLLER_PORTS.health}/readyz`;
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      await response?.body?.cancel();
      return response?.status === 200;
    },
    isLeader: async () =>
      running() && /^kubernetesvault_is_leader 1\b/m.test(await metrics().catch(() => "")),
    async start(address) {
      ip = address;
      const run = startProcess(compiledBinary("controller"), [], {
        logPath: join(home, `run-${runs.length}.log`),
        env: controllerEnv(sandbox.description, index, {
          POD_IP: ip,
          POD_NAME: name,
          METRICS_LISTEN: `${ip}:${CONTROLLER_PORTS.metrics}`,
          HEALTH_LISTEN: `${ip}:${CONTROLLER_PORTS.health}`,
          RAFT_DIR: join(home, "raft"),
        }),
      });
      runs.push(run);
      await waitFor(`${name} serving metrics on ${ip} (log: ${run.logPath})`, async () => {
        if (run.exitCode() !== null)
          throw new Error(`exited with ${run.exitCode()}:\n${run.output().slice(-3000)}`);
        return (await metrics().catch(() => "")).length > 0;
      });
    },
    async kill() {
      await last()?.stop();
    },
    async terminate() {
      const run = last();
      if (!run || run.exitCode() !== null) return;
      run.signal("SIGTERM");
      await run.exited();
    },
  };
}

/** What the endpoints controller would publish for these replicas: running ones ready, starting ones not. */
export function publishReplicas(
  sandbox: Sandbox,
  replicas: readonly { name: string; ip: string; ready: boolean }[],
): Promise<void> {
  return publishControllerEndpoints(
    sandbox.kube,
    replicas.map((replica) => ({ ip: replica.ip, podName: replica.name, ready: replica.ready })),
  );
}

export function metricValue(text: string, series: string): number | undefined {
  const escaped = series.replace(/[{}"=.+]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Live replicas reporting is_leader 1. */
export async function leaders(replicas: readonly GossipReplica[]): Promise<GossipReplica[]> {
  const answers = await Promise.all(replicas.map(async (r) => ((await r.isLeader()) ? r : undefined)));
  return answers.filter((r): r is GossipReplica => r !== undefined);
}
