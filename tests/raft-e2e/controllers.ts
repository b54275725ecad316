/**
 * Replicated controllers for end-to-end tests and the bench: N compiled controller processes against a sandbox,
 * configured with RAFT_PEERS (static peers), each on its own loopback address with its own RAFT_DIR, started,
 * killed, stopped (SIGSTOP/SIGCONT) and restarted by pid. Log lines are JSON; helpers read them with their times.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { SandboxDescription } from "../../sim/sandbox/index.ts";
import { CONTROLLER_PORTS, controllerEnv } from "../../sim/sandbox/workloads.ts";
import { compiledBinary } from "../support/binaries.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

export interface LogLine {
  time: string;
  msg: string;
  [field: string]: unknown;
}

export interface ControllerReplica {
  readonly name: string;
  readonly ip: string;
  readonly metricsUrl: string;
  process(): TestProcess;
  /** Parsed JSON log lines of every run so far (older runs first). */
  lines(): LogLine[];
  isLeader(): Promise<boolean>;
  metrics(): Promise<string>;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface ControllerCluster {
  replicas: ControllerReplica[];
  /** Live replicas whose is_leader gauge is 1. */
  leaders(): Promise<ControllerReplica[]>;
  /** Waits until exactly one live replica reports leading. */
  leader(deadlineMs?: number): Promise<ControllerReplica>;
  stop(): Promise<void>;
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? response.text() : "";
}

export function parseLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("{")) continue;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === "object" && parsed !== null && "msg" in parsed && "time" in parsed)
        lines.push(parsed as LogLine);
    } catch {
      // A line cut by a kill mid-write.
    }
  }
  return lines;
}

export async function startControllerCluster(
  sandbox: SandboxDescription,
  dir: string,
  options: { count: number; addressPrefix: string; extraEnv?: Record<string, string> },
): Promise<ControllerCluster> {
  const binary = compiledBinary("controller");
  const members = Array.from({ length: options.count }, (_, i) => ({
    name: `kubernetes-vault-${i}`,
    ip: `${options.addressPrefix}.${i + 1}`,
  }));
  const raftPeers = members.map((m) => `${m.name}=${m.ip}:${CONTROLLER_PORTS.raft}`).join(",");
  const replicas = members.map((member, index): ControllerReplica => {
    const home = join(dir, member.name);
    mkdirSync(join(home, "raft"), { recursive: true });
    const runs: TestProcess[] = [];
    const metricsUrl = `http://${member.ip}:${CONTROLLER_PORTS.metrics}/metrics`;
    const current = () => {
      const run = runs[runs.length - 1];
      if (run === undefined) throw new Error(`${member.name} was never started`);
      return run;
    };
    const metrics = () => fetchText(metricsUrl);
    return {
      ...member,
      metricsUrl,
      process: current,
      lines: () => runs.flatMap((run) => parseLines(run.output())),
      metrics,
      isLeader: async () => /^kubernetesvault_is_leader 1\b/m.test(await metrics().catch(() => "")),
      kill: () => current().stop(),
      async start() {
        const run = startProcess(binary, [], {
          logPath: join(home, `run-${runs.length}.log`),
          env: controllerEnv(sandbox, index, {
            POD_IP: member.ip,
            POD_NAME: member.name,
            METRICS_LISTEN: `${member.ip}:${CONTROLLER_PORTS.metrics}`,
            HEALTH_LISTEN: `${member.ip}:${CONTROLLER_PORTS.health}`,
            RAFT_DIR: join(home, "raft"),
            RAFT_PEERS: raftPeers,
            LOG_LEVEL: "info",
            ...options.extraEnv,
          }),
        });
        runs.push(run);
        await waitFor(`${member.name} serving metrics (log: ${run.logPath})`, async () => {
          if (run.exitCode() !== null)
            throw new Error(`exited with ${run.exitCode()}:\n${run.output().slice(-3000)}`);
          return (await metrics().catch(() => "")).length > 0;
        });
      },
    };
  });
  const alive = (r: ControllerReplica) => {
    try {
      return r.process().exitCode() === null;
    } catch {
      return false;
    }
  };
  const leaders = async () =>
    (
      await Promise.all(replicas.filter(alive).map(async (r) => ((await r.isLeader()) ? r : undefined)))
    ).filter((r): r is ControllerReplica => r !== undefined);
  const cluster: ControllerCluster = {
    replicas,
    leaders,
    leader: (deadlineMs = 60_000) =>
      waitFor(
        "exactly one leading controller",
        async () => {
          const now = await leaders();
          return now.length === 1 ? now[0] : undefined;
        },
        deadlineMs,
        25,
      ),
    async stop() {
      for (const replica of replicas) if (alive(replica)) await replica.kill();
    },
  };
  try {
    await Promise.all(replicas.map((replica) => replica.start()));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** "delivered" log lines of a replica (one per confirmed push), with their times. */
export function deliveries(replica: ControllerReplica): LogLine[] {
  return replica.lines().filter((line) => line.msg === "delivered");
}
