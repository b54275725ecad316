/**
 * The chaos run's view of the controller replicas (sim/demo's cluster): every process ever started per replica, which
 * of them this run killed (SIGKILL) so that any other exit counts as a crash, SIGSTOP/SIGCONT, and resident memory
 * sampled from /proc/<pid>/status while they run. A replica that exits on its own is started again after a second,
 * as a Deployment's kubelet would, and stays counted as a crash.
 */
import { readFileSync } from "node:fs";
import type { TestProcess } from "../../tests/support/processes.ts";
import type { Cluster } from "../demo/cluster.ts";
import { fetchText, type Replica } from "../demo/replicas.ts";

export interface ReplicaRecord {
  replica: Replica;
  processes: TestProcess[];
  killedPids: Set<number>;
  /** Crashed processes already restarted (a crash restarts once). */
  restartedPids: Set<number>;
  maxRssMb: number;
  lastRssMb: number | undefined;
}

const RSS_SAMPLE_MS = 1_000;
const CRASH_RESTART_MS = 1_000;

function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export class ChaosReplicas {
  readonly records: ReplicaRecord[];
  private readonly sampler: ReturnType<typeof setInterval>;
  private stopping = false;

  constructor(readonly cluster: Cluster) {
    this.records = cluster.members.map((replica) => ({
      replica,
      processes: [replica.process()],
      killedPids: new Set<number>(),
      restartedPids: new Set<number>(),
      maxRssMb: 0,
      lastRssMb: undefined,
    }));
    this.sampler = setInterval(() => this.sampleRss(), RSS_SAMPLE_MS);
  }

  sampleRss(): void {
    for (const record of this.records) {
      if (!record.replica.alive()) {
        this.restartIfCrashed(record);
        continue;
      }
      const mb = rssMb(record.replica.process().pid);
      if (mb === undefined) continue;
      record.maxRssMb = Math.max(record.maxRssMb, mb);
      record.lastRssMb = mb;
    }
  }

  private restartIfCrashed(record: ReplicaRecord): void {
    const current = record.replica.process();
    if (this.stopping || record.killedPids.has(current.pid) || record.restartedPids.has(current.pid)) return;
    record.restartedPids.add(current.pid);
    setTimeout(() => {
      if (!this.stopping && record.replica.process() === current) this.restart(record.replica);
    }, CRASH_RESTART_MS);
  }

  recordOf(replica: Replica): ReplicaRecord {
    const record = this.records.find((r) => r.replica === replica);
    if (!record) throw new Error(`${replica.name} is not one of the chaos run's replicas`);
    return record;
  }

  async kill(replica: Replica): Promise<void> {
    this.recordOf(replica).killedPids.add(replica.process().pid);
    await replica.kill();
  }

  /** Starts it again with the same name, address and RAFT_DIR. */
  restart(replica: Replica): void {
    replica.restart();
    this.recordOf(replica).processes.push(replica.process());
  }

  /** Waits until the replica's current process serves metrics (true), exits, or the deadline passes (false). */
  async serving(replica: Replica, deadlineMs = 30_000): Promise<boolean> {
    const current = replica.process();
    const end = performance.now() + deadlineMs;
    while (performance.now() < end && current.exitCode() === null) {
      if ((await fetchText(replica.metricsUrl)) !== undefined) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  /** Processes that exited although this run never killed them. */
  crashes(): { name: string; pid: number; exitCode: number | null; logPath: string; lastLine: string }[] {
    return this.records.flatMap((record) =>
      record.processes
        .filter((p) => p.exitCode() !== null && !record.killedPids.has(p.pid))
        .map((p) => ({
          name: record.replica.name,
          pid: p.pid,
          exitCode: p.exitCode(),
          logPath: p.logPath,
          lastLine: p.output().trim().split("\n").at(-1) ?? "",
        })),
    );
  }

  /** SIGKILLs every live process (each by its pid) and stops sampling. */
  async stopAll(): Promise<void> {
    clearInterval(this.sampler);
    this.sampleRss();
    this.stopping = true;
    for (const record of this.records) {
      const current = record.replica.process();
      if (current.exitCode() === null) record.killedPids.add(current.pid);
      // A stopped process still dies of SIGKILL; SIGCONT anyway so nothing lingers half-frozen.
      current.signal("SIGCONT");
    }
    await Promise.all(this.records.map((record) => record.replica.kill()));
  }
}
