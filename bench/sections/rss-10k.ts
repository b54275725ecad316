/**
 * rss_10k_pods_mb: a controller's resident memory with 10,000 pods in its informer cache. The pods carry the
 * vault annotations but are bound to a node no stand-in runs, so they stay Pending and nobody pushes: the figure
 * is the cache, not the work. Controllers start after the pods exist and are measured once ready (their /readyz
 * includes the pod cache sync); one replica's VmRSS is reported. Mode: real controllers; no init runs.
 */
import { join } from "node:path";
import { waitFor } from "../../tests/support/wait.ts";
import { controllerMissing, startControllers } from "../support/controllers.ts";
import { createPods, kubeCaller } from "../support/pod-traffic.ts";
import { podManifest } from "../support/pods.ts";
import { mib } from "../support/stats.ts";
import { type Section, sampleCount, unmeasured } from "./types.ts";

const PODS = 10_000;
const SETTLE_MS = 5_000;

export const rss10kSection: Section<"rss_10k_pods_mb"> = {
  key: "rss_10k_pods_mb",
  name: "rss",
  goal: "≤ 100 MB",
  anchor: "a compiled Bun app with client-node idles at about 51 MB (shared/notes/environment.md)",
  async run(context) {
    const missing = controllerMissing(context.root);
    if (missing) return unmeasured(missing);
    const pods = sampleCount(context, PODS, PODS);
    context.progress(`rss: ${pods} parked pods, then one controller`);
    const sandbox = await context.sandbox("rss");
    const manifests = Array.from({ length: pods }, (_, i) =>
      podManifest(`parked-${i}`, {
        sandbox: sandbox.description,
        namespace: ["team-a", "team-b", "team-c"][i % 3] ?? "team-a",
        role: "demo-app",
        initCommand: ["none"],
        nodeName: "parked-node",
      }),
    );
    await createPods(kubeCaller(sandbox), manifests, { concurrency: 32 });
    const controllers = await startControllers(sandbox, join(context.stateDir, "rss"), 1);
    try {
      await Promise.all(
        controllers.replicas.map((replica) =>
          waitFor(
            `${replica.name} ready`,
            async () => {
              const response = await fetch(replica.readyUrl);
              return response.ok;
            },
            120_000,
            200,
          ),
        ),
      );
      const rss = Math.max(...controllers.replicas.map((replica) => replica.rssBytes()));
      // The figure is taken at ready; how much of it is garbage the allocator has not yet returned shows later.
      const settleAt = Date.now() + SETTLE_MS;
      await waitFor("the settle period to pass", () => Date.now() >= settleAt, SETTLE_MS + 5_000, 250);
      const settled = Math.max(...controllers.replicas.map((replica) => replica.rssBytes()));
      return {
        value: mib(rss),
        mode: "controllers only",
        notes: [
          `${pods} pods cached${pods < PODS ? ` (not the ${PODS} the figure names)` : ""}; one replica (VmRSS once ready)`,
          `VmRSS ${SETTLE_MS / 1000} s after ready: ${mib(settled)} MB`,
        ],
      };
    } finally {
      await controllers.stop();
    }
  },
  verdict: (value) => value <= 100,
};
