/**
 * N controller replicas against a sandbox, as separate processes of the compiled controller (compiledBinary, built
 * like `bun run build`), each with its own loopback address (POD_IP, metrics and health listeners, Raft and gossip
 * ports) and RAFT_DIR, configured from sandbox.json the way the kustomize base configures a pod. The sandbox's
 * controller Endpoints are filled with the replicas' addresses, as Kubernetes fills a headless service's.
 *
 * Until cmd/controller.ts exists `controllerMissing()` says so and sections report null with that reason.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CONTROLLER_DEFAULTS } from "../../lib/config/index.ts";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import { controllerEnv } from "../../sim/sandbox/workloads.ts";
import { compiledBinary } from "../../tests/support/binaries.ts";
import { startProcess, type TestProcess } from "../../tests/support/processes.ts";
import { waitFor } from "../../tests/support/wait.ts";
import { cpuMs, peakRssBytes, rssBytes } from "./proc.ts";

export const CONTROLLER_MAIN = "cmd/controller.ts";
const ADDRESS_PREFIX = "127.7.60";
const METRICS_PORT = 8080;
const HEALTH_PORT = 8081;

export function controllerMissing(root: string): string | undefined {
  return existsSync(join(root, CONTROLLER_MAIN))
    ? undefined
    : `${CONTROLLER_MAIN} (the controller's main) does not exist yet; this section starts compiled controller replicas against the sandbox once it does`;
}

export interface Replica {
  readonly name: string;
  readonly podIp: string;
  readonly metricsUrl: string;
  /** Base URL of the health listener (/healthz, /readyz). */
  readonly healthUrl: string;
  process(): TestProcess;
  isLeader(): Promise<boolean>;
  cpuMs(): number;
  rssBytes(): number;
  peakRssBytes(): number;
  kill(): Promise<void>;
  /** Starts it again with the same name, address and RAFT_DIR, and waits until it serves metrics. */
  restart(): Promise<void>;
}

export interface ControllerSet {
  replicas: Replica[];
  /** The replicas reporting themselves leader right now. */
  leaders(): Promise<Replica[]>;
  /** Waits until exactly one replica reports itself leader. */
  leader(deadlineMs?: number): Promise<Replica>;
  stop(): Promise<void>;
}

async function metricsText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? response.text() : "";
}

export async function startControllers(
  sandbox: Sandbox,
  stateDir: string,
  count: number,
): Promise<ControllerSet> {
  const d = sandbox.description;
  const binary = compiledBinary("controller");
  const members = Array.from({ length: count }, (_, i) => ({
    name: `kubernetes-vault-${i}`,
    podIp: `${ADDRESS_PREFIX}.${i + 1}`,
  }));
  const kube = new ApiCaller(sandbox.kube.server, sandbox.kube.caPem, {
    authorization: `Bearer ${d.kubernetes.token}`,
  });
  await kube.call("PUT", `/api/v1/namespaces/${d.controller.namespace}/endpoints/${d.controller.service}`, {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: d.controller.service, namespace: d.controller.namespace },
    subsets: [
      {
        addresses: members.map((m) => ({
          ip: m.podIp,
          targetRef: { kind: "Pod", name: m.name, namespace: d.controller.namespace },
        })),
        ports: [
          { name: "raft", port: CONTROLLER_DEFAULTS.raftPort, protocol: "TCP" },
          { name: "gossip", port: CONTROLLER_DEFAULTS.gossipPort, protocol: "UDP" },
        ],
      },
    ],
  });

  const raftPeers = members.map((m) => `${m.name}=${m.podIp}:${CONTROLLER_DEFAULTS.raftPort}`).join(",");
  const launch = (member: { name: string; podIp: string }, index: number, restart: number): TestProcess => {
    const dir = join(stateDir, "controllers", member.name);
    mkdirSync(join(dir, "raft"), { recursive: true });
    // The sandbox's controller environment (in-cluster service-account auth, as in a pod), on addresses of the
    // benchmark's own so a run never collides with a demo or a test using the sandbox's defaults.
    return startProcess(binary, [], {
      logPath: join(dir, `${restart}.log`),
      env: controllerEnv(d, index, {
        POD_IP: member.podIp,
        POD_NAME: member.name,
        METRICS_LISTEN: `${member.podIp}:${METRICS_PORT}`,
        HEALTH_LISTEN: `${member.podIp}:${HEALTH_PORT}`,
        RAFT_DIR: join(dir, "raft"),
        LOG_LEVEL: "warn",
        // Controllers that read it form one Raft cluster of the named replicas; older ones ignore it.
        ...(count > 1 ? { RAFT_PEERS: raftPeers } : {}),
      }),
    });
  };

  const handles = members.map((member, index) => {
    let restarts = 0;
    let current = launch(member, index, restarts);
    const metricsUrl = `http://${member.podIp}:${METRICS_PORT}/metrics`;
    const serving = () =>
      waitFor(`controller ${member.name} serving metrics (log: ${current.logPath})`, async () => {
        if (current.exitCode() !== null)
          throw new Error(`exited with ${current.exitCode()}:\n${current.output().slice(-2000)}`);
        return (await metricsText(metricsUrl)).length > 0;
      });
    const replica: Replica = {
      ...member,
      metricsUrl,
      healthUrl: `http://${member.podIp}:${HEALTH_PORT}`,
      process: () => current,
      isLeader: async () =>
        /^kubernetesvault_is_leader 1\b/m.test(await metricsText(metricsUrl).catch(() => "")),
      cpuMs: () => cpuMs(current.pid),
      rssBytes: () => rssBytes(current.pid),
      peakRssBytes: () => peakRssBytes(current.pid),
      kill: () => current.stop(),
      async restart() {
        await current.stop();
        current = launch(member, index, ++restarts);
        await serving();
      },
    };
    return { replica, serving };
  });
  const replicas = handles.map((handle) => handle.replica);
  try {
    await Promise.all(handles.map((handle) => handle.serving()));
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.kill()));
    throw error;
  }
  const leaders = async () => {
    const live = replicas.filter((r) => r.process().exitCode() === null);
    return (await Promise.all(live.map(async (r) => ((await r.isLeader()) ? r : undefined)))).filter(
      (r): r is Replica => r !== undefined,
    );
  };
  return {
    replicas,
    leaders,
    leader: (deadlineMs = 60_000) =>
      waitFor(
        "exactly one controller leader",
        async () => {
          const now = await leaders();
          return now.length === 1 ? now[0] : undefined;
        },
        deadlineMs,
        50,
      ),
    stop: async () => {
      await Promise.all(replicas.map((replica) => replica.kill()));
    },
  };
}

export interface ControllerCluster {
  controllers: ControllerSet;
  /** False when every replica leads on its own (no Raft coordination in the controller yet). */
  replicated: boolean;
  note: string;
}

/**
 * `wanted` replicas if the controller coordinates them (exactly one leads); otherwise a single replica, since
 * replicas that each lead would push every pod several times and the figures would measure that.
 */
export async function startControllerCluster(
  sandbox: Sandbox,
  stateDir: string,
  wanted: number,
): Promise<ControllerCluster> {
  const controllers = await startControllers(sandbox, stateDir, wanted);
  try {
    const leaders = await waitFor("a controller leader", async () => {
      const now = await controllers.leaders();
      return now.length > 0 ? now : undefined;
    });
    if (wanted === 1 || leaders.length === 1)
      return { controllers, replicated: true, note: `${wanted} controller replica(s)` };
  } catch (error) {
    await controllers.stop();
    throw error;
  }
  await controllers.stop();
  const single = await startControllers(sandbox, join(stateDir, "single"), 1);
  return {
    controllers: single,
    replicated: false,
    note: `1 controller replica, not ${wanted}: with ${wanted} each reported itself leader (no Raft coordination in the controller yet)`,
  };
}
