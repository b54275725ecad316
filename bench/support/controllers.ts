/**
 * N controller replicas against a sandbox: the demo's replica set (sim/demo/replicas.ts: compiled controller
 * processes configured by the sandbox's controllerEnv, own loopback address and RAFT_DIR, RAFT_PEERS naming all,
 * the Service's EndpointSlices filled) on the benchmark's own addresses (127.7.60.x), plus what the figures read: CPU time
 * and memory from /proc, waiting until each serves metrics, and until exactly one leads.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Replica as DemoReplica, fetchText, startReplicas } from "../../sim/demo/replicas.ts";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import { CONTROLLER_PORTS, controllerEnv } from "../../sim/sandbox/workloads.ts";
import { compiledBinary } from "../../tests/support/binaries.ts";
import { startProcess } from "../../tests/support/processes.ts";
import { waitFor } from "../../tests/support/wait.ts";
import { cpuMs, peakRssBytes, rssBytes } from "./proc.ts";

export const CONTROLLER_MAIN = "cmd/controller.ts";
const ADDRESS_PREFIX = "127.7.60";

export function controllerMissing(root: string): string | undefined {
  return existsSync(join(root, CONTROLLER_MAIN))
    ? undefined
    : `${CONTROLLER_MAIN} (the controller's main) does not exist yet; this section starts compiled controller replicas against the sandbox once it does`;
}

export interface Replica extends Omit<DemoReplica, "restart"> {
  cpuMs(): number;
  rssBytes(): number;
  peakRssBytes(): number;
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

function serving(replica: DemoReplica): Promise<unknown> {
  const current = replica.process();
  return waitFor(`controller ${replica.name} serving metrics (log: ${current.logPath})`, async () => {
    if (current.exitCode() !== null)
      throw new Error(`exited with ${current.exitCode()}:\n${current.output().slice(-2000)}`);
    const response = await fetch(replica.metricsUrl, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  });
}

export async function startControllers(
  sandbox: Sandbox,
  stateDir: string,
  count: number,
): Promise<ControllerSet> {
  const set = await startReplicas({
    sandbox,
    binary: compiledBinary("controller"),
    count,
    addressPrefix: ADDRESS_PREFIX,
    stateDir: join(stateDir, "controllers"),
  });
  return measured(set);
}

/** The warning a replica logs when discovery finds nobody and it runs without Raft (lib/main/discovery-coordination.ts). */
const ALONE_WITHOUT_RAFT = "so it runs alone without Raft";

/**
 * One controller replica with no Raft at all: no RAFT_PEERS, and no EndpointSlices listing it (none are published;
 * startReplicas would publish them, and a replica the Service lists bootstraps a lone Raft voter), so discovery
 * finds nobody and the controller runs alone with its in-memory ledger. Waits until it says so in its log (after
 * the discovery quiet window, about 3 s): the floor the replicated figures are compared with. Use a sandbox no
 * other replica set published EndpointSlices in.
 */
export async function startControllerWithoutRaft(sandbox: Sandbox, stateDir: string): Promise<ControllerSet> {
  const name = "kubernetes-vault-0";
  const ip = `${ADDRESS_PREFIX}.1`;
  const dir = join(stateDir, "controllers", name);
  mkdirSync(join(dir, "raft"), { recursive: true });
  const metricsUrl = `http://${ip}:${CONTROLLER_PORTS.metrics}/metrics`;
  let runs = 0;
  const launch = () =>
    startProcess(compiledBinary("controller"), [], {
      logPath: join(dir, `run-${runs++}.log`),
      env: controllerEnv(sandbox.description, 0, {
        POD_IP: ip,
        POD_NAME: name,
        METRICS_LISTEN: `${ip}:${CONTROLLER_PORTS.metrics}`,
        HEALTH_LISTEN: `${ip}:${CONTROLLER_PORTS.health}`,
        RAFT_DIR: join(dir, "raft"),
      }),
    });
  let current = launch();
  const replica: DemoReplica = {
    name,
    ip,
    metricsUrl,
    readyUrl: `http://${ip}:${CONTROLLER_PORTS.health}/readyz`,
    process: () => current,
    alive: () => current.exitCode() === null,
    isLeader: async () => /^kubernetesvault_is_leader 1\b/m.test((await fetchText(metricsUrl)) ?? ""),
    kill: () => current.stop(),
    restart() {
      current = launch();
    },
  };
  const set = await measured({
    replicas: [replica],
    leaders: async () => (replica.alive() && (await replica.isLeader()) ? [replica] : []),
    stop: () => replica.kill(),
  });
  try {
    await current.waitForOutput(ALONE_WITHOUT_RAFT, 30_000);
  } catch (error) {
    await set.stop();
    throw error;
  }
  return set;
}

async function measured(set: {
  replicas: DemoReplica[];
  leaders(): Promise<DemoReplica[]>;
  stop(): Promise<void>;
}): Promise<ControllerSet> {
  const replicas = set.replicas.map(
    (replica): Replica => ({
      ...replica,
      process: () => replica.process(),
      cpuMs: () => cpuMs(replica.process().pid),
      rssBytes: () => rssBytes(replica.process().pid),
      peakRssBytes: () => peakRssBytes(replica.process().pid),
      async restart() {
        await replica.kill();
        replica.restart();
        await serving(replica);
      },
    }),
  );
  try {
    await Promise.all(set.replicas.map(serving));
  } catch (error) {
    await set.stop();
    throw error;
  }
  const leaders = async () => {
    const leading = await set.leaders();
    return replicas.filter((_, i) => leading.includes(set.replicas[i] as DemoReplica));
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
    stop: () => set.stop(),
  };
}

export interface ControllerCluster {
  controllers: ControllerSet;
  /** False when every replica leads on its own (a controller without Raft coordination). */
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
    note: `1 controller replica, not ${wanted}: with ${wanted} each reported itself leader (no Raft coordination in the controller)`,
  };
}
