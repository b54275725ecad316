/**
 * Controller replicas for the demo: separate processes of the compiled controller, configured by the sandbox's
 * `controllerEnv` as the kustomize base configures pods, each on its own loopback address with its own RAFT_DIR,
 * RAFT_PEERS naming all of them, and the controller Service's EndpointSlices filled as Kubernetes fills a headless
 * one's.
 *
 * Contract: every process is started through `startProcess` (output in a log file) and stopped by its own pid.
 * `leaders()` reads each live replica's /metrics (`kubernetesvault_is_leader 1`).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startProcess, type TestProcess } from "../../tests/support/processes.ts";
import { publishControllerEndpoints } from "../sandbox/endpoints.ts";
import type { Sandbox } from "../sandbox/index.ts";
import { CONTROLLER_PORTS, controllerEnv } from "../sandbox/workloads.ts";

export interface Replica {
  readonly name: string;
  readonly ip: string;
  readonly metricsUrl: string;
  readonly readyUrl: string;
  process(): TestProcess;
  alive(): boolean;
  isLeader(): Promise<boolean>;
  /** SIGKILL, as a node dying would. */
  kill(): Promise<void>;
  restart(): void;
}

export interface ReplicaSet {
  replicas: Replica[];
  leaders(): Promise<Replica[]>;
  stop(): Promise<void>;
}

export async function fetchText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_500) });
    const text = await response.text();
    return response.ok ? text : undefined;
  } catch {
    return undefined;
  }
}

export async function startReplicas(options: {
  sandbox: Sandbox;
  binary: string;
  count: number;
  addressPrefix: string;
  stateDir: string;
  /** Added to every replica's environment (the sidecar demo's short re-issue margin). */
  extraEnv?: Record<string, string>;
}): Promise<ReplicaSet> {
  const d = options.sandbox.description;
  const members = Array.from({ length: options.count }, (_, n) => ({
    name: `kubernetes-vault-${n}`,
    ip: `${options.addressPrefix}.${n + 1}`,
  }));
  // A real API server refuses loopback addresses in EndpointSlices ("may not be in the loopback range"), so on the
  // real backend the replicas find each other through RAFT_PEERS alone.
  if (options.sandbox.backend !== "real")
    await publishControllerEndpoints(
      options.sandbox.kube,
      members.map((m) => ({ ip: m.ip, podName: m.name })),
    );
  const raftPeers = members.map((m) => `${m.name}=${m.ip}:${CONTROLLER_PORTS.raft}`).join(",");
  const replicas = members.map((member, n): Replica => {
    const dir = join(options.stateDir, member.name);
    mkdirSync(join(dir, "raft"), { recursive: true });
    let runs = 0;
    const launch = () =>
      startProcess(options.binary, [], {
        logPath: join(dir, `run-${runs++}.log`),
        env: controllerEnv(d, n, {
          POD_IP: member.ip,
          POD_NAME: member.name,
          METRICS_LISTEN: `${member.ip}:${CONTROLLER_PORTS.metrics}`,
          HEALTH_LISTEN: `${member.ip}:${CONTROLLER_PORTS.health}`,
          RAFT_DIR: join(dir, "raft"),
          ...(options.count > 1 ? { RAFT_PEERS: raftPeers } : {}),
          ...options.extraEnv,
        }),
      });
    let current = launch();
    const metricsUrl = `http://${member.ip}:${CONTROLLER_PORTS.metrics}/metrics`;
    return {
      ...member,
      metricsUrl,
      readyUrl: `http://${member.ip}:${CONTROLLER_PORTS.health}/readyz`,
      process: () => current,
      alive: () => current.exitCode() === null,
      isLeader: async () => /^kubernetesvault_is_leader 1\b/m.test((await fetchText(metricsUrl)) ?? ""),
      kill: () => current.stop(),
      restart() {
        current = launch();
      },
    };
  });
  return {
    replicas,
    async leaders() {
      const live = replicas.filter((r) => r.alive());
      const leading = await Promise.all(live.map((r) => r.isLeader()));
      return live.filter((_, i) => leading[i]);
    },
    stop: async () => {
      await Promise.all(replicas.map((r) => r.kill()));
    },
  };
}
