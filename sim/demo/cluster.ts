/**
 * The demo's controller cluster: starts the wanted replicas, decides honestly whether they form one (exactly one
 * leads) or each leads alone (a controller build without Raft: then only one is kept, and the reason is said),
 * and kills the leader to time the takeover.
 */
import type { Sandbox } from "../sandbox/index.ts";
import type { ReplicaView } from "./display.ts";
import { type Replica, type ReplicaSet, startReplicas } from "./replicas.ts";

export const DEFAULT_REPLICAS = 3;
const START_DEADLINE_MS = 30_000;

export interface Cluster {
  set: ReplicaSet;
  /** Replicas still part of the demo (extra uncoordinated ones are stopped and dropped). */
  members: Replica[];
  coordinated: boolean;
  notes: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await pause(50);
  }
  return undefined;
}

function failureDetail(set: ReplicaSet): string {
  return set.replicas
    .map((r) => `${r.name} (log ${r.process().logPath}): ${r.process().output().slice(-600)}`)
    .join("\n");
}

export async function startCluster(options: {
  sandbox: Sandbox;
  binary: string;
  wanted: number;
  addressPrefix: string;
  stateDir: string;
  extraEnv?: Record<string, string>;
  onStarted: (set: ReplicaSet) => void;
}): Promise<Cluster> {
  const set = await startReplicas({ ...options, count: options.wanted });
  options.onStarted(set);
  const firstLeaders = await until(START_DEADLINE_MS, async () => {
    if (set.replicas.some((r) => !r.alive()))
      throw new Error(`a controller exited at start:\n${failureDetail(set)}`);
    const leaders = await set.leaders();
    return leaders.length > 0 ? leaders : undefined;
  });
  if (!firstLeaders)
    throw new Error(`no controller became leader within ${START_DEADLINE_MS} ms:\n${failureDetail(set)}`);
  if (options.wanted === 1) return { set, members: set.replicas, coordinated: true, notes: [] };
  // Raft elects one leader; controllers without it each lead at once. Look twice to not mistake a hand-over.
  await pause(300);
  const leaders = await set.leaders();
  if (leaders.length === 1) return { set, members: set.replicas, coordinated: true, notes: [] };
  const extras = set.replicas.slice(1);
  await Promise.all(extras.map((r) => r.kill()));
  return {
    set,
    members: set.replicas.slice(0, 1),
    coordinated: false,
    notes: [
      `The ${options.wanted} replicas each declared themselves leader: this build's controller does not coordinate replicas through Raft yet (lib/main runs single-replica coordination).`,
      "Running ONE replica instead, so no pod is pushed twice; the leader kill below restarts it rather than showing a Raft takeover.",
    ],
  };
}

export async function views(members: Replica[]): Promise<ReplicaView[]> {
  return Promise.all(
    members.map(async (r) => ({ name: r.name, alive: r.alive(), leader: r.alive() && (await r.isLeader()) })),
  );
}

export interface Takeover {
  killed: string;
  newLeader: string | undefined;
  ms: number | undefined;
}

export interface Killed {
  replica: Replica;
  at: number;
}

/** SIGKILLs the current leader (restarting it at once when it is the only replica). */
export async function killLeader(cluster: Cluster): Promise<Killed> {
  const leader = (await cluster.set.leaders()).find((r) => cluster.members.includes(r)) ?? cluster.members[0];
  if (!leader) throw new Error("no controller replica to kill");
  const at = performance.now();
  await leader.kill();
  if (cluster.members.length === 1) leader.restart();
  return { replica: leader, at };
}

/** Times from the kill until a live replica leads. */
export async function awaitTakeover(
  cluster: Cluster,
  killed: Killed,
  deadlineMs = 30_000,
): Promise<Takeover> {
  const next = await until(deadlineMs, async () => {
    for (const r of cluster.members) if (r.alive() && (await r.isLeader())) return r;
    return undefined;
  });
  return {
    killed: killed.replica.name,
    newLeader: next?.name,
    ms: next ? Math.round(performance.now() - killed.at) : undefined,
  };
}
