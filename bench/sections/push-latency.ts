/**
 * push_latency_ms: from a pod's init container seen running to the init's confirmation, with pods created at a
 * steady 50 per second and 3 controller replicas (issue 8). Mode: the real init executable, run by the kubelet
 * stand-in as each pod's init container. "Seen running" is when this process's own watch saw the init running
 * (the controller's informer sees the same event at the same moment); "confirmation" is the token file's mtime,
 * written just before the init answers 200. The controllers' own histogram (kubernetesvault_push_latency_seconds)
 * is quoted beside it.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { compiledBinary } from "../../tests/support/binaries.ts";
import { controllerMissing, startControllerCluster } from "../support/controllers.ts";
import { createPods, kubeCaller, observePods } from "../support/pod-traffic.ts";
import { BENCH_LABEL, INIT_CONTAINER, podManifest, TOKEN_VOLUME } from "../support/pods.ts";
import { percentile, percentiles } from "../support/stats.ts";
import { type Section, sampleCount, unmeasured } from "./types.ts";

const PODS_PER_SECOND = 50;
const REPLICAS = 3;
const NAMESPACE = "team-a";

export const pushLatencySection: Section<"push_latency_ms"> = {
  key: "push_latency_ms",
  name: "push",
  goal: "p99 ≤ 2 × floor p99",
  anchor: 'the original stalled its pod watch: "init randomly slow 3-30 s" (flaw 5)',
  async run(context) {
    const missing = controllerMissing(context.root);
    if (missing) return unmeasured(missing);
    const pods = sampleCount(context, PODS_PER_SECOND * 20, PODS_PER_SECOND * 4);
    context.progress(`push: ${pods} pods at ${PODS_PER_SECOND}/s, ${REPLICAS} controllers, compiled init`);
    const sandbox = await context.sandbox("push");
    const { controllers, note } = await startControllerCluster(
      sandbox,
      join(context.stateDir, "push"),
      REPLICAS,
    );
    const observer = await observePods(sandbox, NAMESPACE, BENCH_LABEL);
    try {
      await controllers.leader();
      const initBinary = compiledBinary("init");
      const names = Array.from({ length: pods }, (_, i) => `push-${i}`);
      const manifests = names.map((name) =>
        podManifest(name, {
          sandbox: sandbox.description,
          namespace: NAMESPACE,
          role: "demo-app",
          initCommand: [initBinary],
        }),
      );
      await createPods(kubeCaller(sandbox), manifests, { perSecond: PODS_PER_SECOND });
      await observer.waitForTerminated(pods, 180_000);
      const samples = names.map((name) => {
        const volume = sandbox.kubelet.volumeDirFor(NAMESPACE, name, TOKEN_VOLUME);
        const seen = observer.runningSeenAt(name);
        if (volume === undefined || seen === undefined)
          throw new Error(`pod ${name} was not observed running`);
        return statSync(join(volume, "vault-token")).mtimeMs - seen;
      });
      const histogram = await histogramNote(controllers.replicas.map((r) => r.metricsUrl));
      const starts = names.flatMap((name) => {
        const logs = sandbox.kubelet.logPathsFor(NAMESPACE, name, INIT_CONTAINER);
        return logs ? initStartMs(logs.stderr) : [];
      });
      const load =
        starts.length > 0
          ? `the inits took p50 ${Math.round(percentile(starts, 0.5))} ms from process start to listening here (an idle start is the init figure): above ~1 s the machine, not the product, sets this figure`
          : "init start-up times unreadable";
      return {
        value: percentiles(samples),
        mode: "real init executable",
        notes: [`${pods} pods at ${PODS_PER_SECOND}/s; ${note}; ${histogram}; ${load}`],
      };
    } finally {
      observer.stop();
      await controllers.stop();
    }
  },
  verdict: (value, all) => (all.floor_ms ? value.p99 <= 2 * all.floor_ms.p99 : undefined),
};

/** The controllers' histogram summed over replicas, as Prometheus' histogram_quantile would read it. */
async function histogramNote(urls: string[]): Promise<string> {
  const buckets = new Map<number, number>();
  for (const url of urls) {
    const text = await fetch(url)
      .then((r) => r.text())
      .catch(() => "");
    for (const match of text.matchAll(
      /^kubernetesvault_push_latency_seconds_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\} (\S+)/gm,
    )) {
      const le = match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(match[2]));
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return "controller histogram empty or unreadable";
  const quantile = (q: number) => {
    let lower = 0;
    let below = 0;
    for (const [le, count] of sorted) {
      if (count >= q * total) {
        if (!Number.isFinite(le)) return `> ${lower * 1000} ms`;
        const share = count === below ? 1 : (q * total - below) / (count - below);
        return `${Math.round((lower + (le - lower) * share) * 1000)} ms`;
      }
      lower = le;
      below = count;
    }
    return "?";
  };
  return `controller histogram (${total} pushes): p50 ≈ ${quantile(0.5)}, p99 ≈ ${quantile(0.99)}`;
}

/** The init's own "since_process_start_ms" from its listening log line, if it logged one. */
function initStartMs(stderrPath: string): number[] {
  try {
    const line = readFileSync(stderrPath, "utf8")
      .split("\n")
      .find((l) => l.includes("waiting for the controller's push"));
    const value = line
      ? (JSON.parse(line) as { since_process_start_ms?: unknown }).since_process_start_ms
      : undefined;
    return typeof value === "number" ? [value] : [];
  } catch {
    return [];
  }
}
