/**
 * burst: 1,000 pods created at once (as fast as the API takes them), served by 3 controller replicas; the seconds
 * from the first create to the last init container terminated, the controllers' CPU per pod (all replicas, user +
 * system, from /proc) and their peak RSS (VmHWM). Mode: the in-process fleet (sim/fleet) for the pods' init
 * endpoints; the controllers are the real compiled executable. --quick uses 300 pods.
 */
import { join } from "node:path";
import { startFleet } from "../../sim/fleet/index.ts";
import { controllerMissing, startControllerCluster } from "../support/controllers.ts";
import { createPods, kubeCaller, observePods } from "../support/pod-traffic.ts";
import { BENCH_LABEL, podManifest } from "../support/pods.ts";
import { mib, round2 } from "../support/stats.ts";
import { type Section, sampleCount, unmeasured } from "./types.ts";

const FULL_PODS = 1000;
const NAMESPACE = "team-b";

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
    const sandbox = await context.sandbox("burst");
    const fleet = await startFleet({
      server: sandbox.kube.server,
      caPem: sandbox.kube.caPem,
      token: sandbox.kube.token,
      podsDir: join(context.stateDir, "burst", "fleet"),
      podIpPrefix: "127.2",
    });
    const { controllers, note } = await startControllerCluster(sandbox, join(context.stateDir, "burst"), 3);
    const observer = await observePods(sandbox, NAMESPACE, BENCH_LABEL);
    try {
      const leader = await controllers.leader();
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
      const cpu = cpuEach.reduce((sum, ms) => sum + ms, 0);
      const perPodEach = controllers.replicas
        .map((r, i) => `${r === leader ? "leader" : "follower"} ${round2((cpuEach[i] ?? 0) / pods)}`)
        .join(", ");
      const failed = manifests.filter((m) => observer.exitCode(m.metadata.name) !== 0).length;
      return {
        value: {
          pods,
          seconds: round2((lastDone - began) / 1000),
          controller_cpu_ms_per_pod: round2(cpu / pods),
          peak_rss_mb: mib(Math.max(...controllers.replicas.map((r) => r.peakRssBytes()))),
        },
        mode: "in-process fleet",
        notes: [
          `${failed} init containers did not exit 0`,
          `${note}; CPU summed over the replicas (ms per pod: ${perPodEach})`,
        ],
      };
    } finally {
      observer.stop();
      await controllers.stop();
      await fleet.stop();
    }
  },
  verdict: (value) => value.seconds <= 5 && value.controller_cpu_ms_per_pod <= 2,
};
