/**
 * burst: 1,000 pods created at once (as fast as the API takes them), served by 3 controller replicas; the seconds
 * from the first create to the last init container terminated, the controllers' CPU per pod (all replicas, user +
 * system, from /proc) and their peak RSS (VmHWM). Mode: the in-process fleet (sim/fleet) for the pods' init
 * endpoints; the controllers are the real compiled executable. --quick uses 300 pods.
 *
 * Beside it, in the notes, the floor: the same burst in a sandbox of its own served by ONE replica without Raft (no
 * RAFT_PEERS and no EndpointSlices listing it, so it runs alone with its in-memory ledger), its wall time and CPU
 * per pod. The difference is what replication (Raft commits, followers applying the ledger) costs per pod.
 */
import { join } from "node:path";
import { startFleet } from "../../sim/fleet/index.ts";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import {
  type ControllerSet,
  controllerMissing,
  startControllerCluster,
  startControllerWithoutRaft,
} from "../support/controllers.ts";
import { createPods, kubeCaller, observePods } from "../support/pod-traffic.ts";
import { BENCH_LABEL, podManifest } from "../support/pods.ts";
import { mib, round2 } from "../support/stats.ts";
import { type BenchContext, type Section, sampleCount, unmeasured } from "./types.ts";

const FULL_PODS = 1000;
const NAMESPACE = "team-b";

interface BurstRun {
  seconds: number;
  /** Summed over the replicas, before any pod was created. */
  idleCpuMsPerS: number;
  cpuMsPerPod: number;
  peakRssMb: number;
  failed: number;
  /** CPU per pod of each replica, e.g. "leader 8.27, follower 4.29". */
  perReplica: string;
  note: string;
}

/** A measurement window, not a wait for a condition: the replicas' CPU over it is the figure. */
const IDLE_WINDOW_MS = 10_000;
/** Start-up work (informer list, first elections, JIT) settles within this of the leader being known. */
const IDLE_SETTLE_MS = 3_000;

/** CPU summed over the replicas per second of doing nothing (a leader elected, no pods yet). */
async function idleCpu(controllers: ControllerSet): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
  const before = controllers.replicas.map((r) => r.cpuMs());
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
  const seconds = (performance.now() - began) / 1000;
  const used = controllers.replicas.reduce((sum, r, i) => sum + r.cpuMs() - (before[i] ?? 0), 0);
  return round2(used / seconds);
}

/** One burst of `pods` pods in sandbox `name`, its fleet on `podIpPrefix`, served by the controllers `start` gives. */
async function burstOnce(
  context: BenchContext,
  name: string,
  podIpPrefix: string,
  pods: number,
  start: (
    sandbox: Sandbox,
    stateDir: string,
  ) => Promise<{
    controllers: ControllerSet;
    note: string;
  }>,
): Promise<BurstRun> {
  const sandbox = await context.sandbox(name);
  const fleet = await startFleet({
    server: sandbox.kube.server,
    caPem: sandbox.kube.caPem,
    token: sandbox.kube.token,
    podsDir: join(context.stateDir, name, "fleet"),
    podIpPrefix,
  });
  try {
    const { controllers, note } = await start(sandbox, join(context.stateDir, name));
    const observer = await observePods(sandbox, NAMESPACE, BENCH_LABEL);
    try {
      const leader = await controllers.leader();
      const idleCpuMsPerS = await idleCpu(controllers);
      const cpuBeforeEach = controllers.replicas.map((r) => r.cpuMs());
      const manifests = Array.from({ length: pods }, (_, i) =>
        podManifest(`burst-${i}`, {
          sandbox: sandbox.description,
          namespace: NAMESPACE,
          role: "demo-app",
          initCommand: ["fleet"],
          nodeName: fleet.nodeName,
        }),
      );
      const began = Date.now();
      await createPods(kubeCaller(sandbox), manifests, { concurrency: 32 });
      await observer.waitForTerminated(pods, 300_000);
      const lastDone = Math.max(...manifests.map((m) => observer.terminatedSeenAt(m.metadata.name) ?? 0));
      const cpuEach = controllers.replicas.map((r, i) => r.cpuMs() - (cpuBeforeEach[i] ?? 0));
      return {
        seconds: round2((lastDone - began) / 1000),
        idleCpuMsPerS,
        cpuMsPerPod: round2(cpuEach.reduce((sum, ms) => sum + ms, 0) / pods),
        peakRssMb: mib(Math.max(...controllers.replicas.map((r) => r.peakRssBytes()))),
        failed: manifests.filter((m) => observer.exitCode(m.metadata.name) !== 0).length,
        perReplica: controllers.replicas
          .map((r, i) => `${r === leader ? "leader" : "follower"} ${round2((cpuEach[i] ?? 0) / pods)}`)
          .join(", "),
        note,
      };
    } finally {
      observer.stop();
      await controllers.stop();
    }
  } finally {
    await fleet.stop();
  }
}

export const burstSection: Section<"burst"> = {
  key: "burst",
  name: "burst",
  goal: "all served in ≤ 5 s; controller CPU ≤ 2 ms per pod",
  anchor: "the original re-listed every 20 s after its watch stalled (flaw 5)",
  async run(context) {
    const missing = controllerMissing(context.root);
    if (missing) return unmeasured(missing);
    const pods = sampleCount(context, FULL_PODS, 300);
    context.progress(`burst: ${pods} pods at once, 3 controllers, in-process fleet`);
    const replicated = await burstOnce(context, "burst", "127.2", pods, (sandbox, dir) =>
      startControllerCluster(sandbox, dir, 3),
    );
    context.progress(`burst: the same ${pods} pods served by 1 controller without Raft (the floor)`);
    const alone = await burstOnce(context, "burst-alone", "127.9", pods, async (sandbox, dir) => ({
      controllers: await startControllerWithoutRaft(sandbox, dir),
      note: "1 controller replica without Raft",
    }));
    return {
      value: {
        pods,
        seconds: replicated.seconds,
        controller_cpu_ms_per_pod: replicated.cpuMsPerPod,
        peak_rss_mb: replicated.peakRssMb,
        idle_cpu_ms_per_s: replicated.idleCpuMsPerS,
      },
      mode: "in-process fleet",
      notes: [
        `${replicated.failed} init containers did not exit 0`,
        `idle: ${replicated.idleCpuMsPerS} ms CPU per second summed over the 3 replicas (leader elected, no pods; ${IDLE_WINDOW_MS / 1000} s window after ${IDLE_SETTLE_MS / 1000} s settling); 1 replica without Raft: ${alone.idleCpuMsPerS} ms/s`,
        `${replicated.note}; CPU summed over the replicas (ms per pod: ${replicated.perReplica})`,
        `floor, the same ${pods} pods in a sandbox of their own served by 1 replica without Raft (no RAFT_PEERS, not listed in EndpointSlices: in-memory ledger): ${alone.seconds} s, ${alone.cpuMsPerPod} ms CPU per pod, peak RSS ${alone.peakRssMb} MB, ${alone.failed} init containers did not exit 0`,
        `replicated vs alone: ${replicated.seconds} s vs ${alone.seconds} s wall, ${replicated.cpuMsPerPod} vs ${alone.cpuMsPerPod} ms CPU per pod (summed over replicas vs the one)`,
      ],
    };
  },
  verdict: (value) => value.seconds <= 5 && value.controller_cpu_ms_per_pod <= 2,
};
