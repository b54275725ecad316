/**
 * push_latency_ms: from a pod's init container seen running to the init's confirmation, with pods created at a
 * steady PODS_PER_SECOND and 3 controller replicas (issue 8). Mode: the real init executable, run by the kubelet
 * stand-in as each pod's init container. "Seen running" is when this process's own watch saw the init running
 * (the controller's informer sees the same event at the same moment); "confirmation" is the token file's mtime,
 * written just before the init answers 200. The controllers' own histogram (kubernetesvault_push_latency_seconds)
 * is quoted beside it.
 *
 * The kubelet reports the init running once its process is spawned, so the figure holds the init's own start-up
 * (process start -> listening, which the product's controller cannot shorten). That start-up is reported beside it
 * (init_start_p50_ms / init_start_p99_ms, from the init's since_process_start_ms), and so is the part after it
 * (listening -> token written, from the listening line's timestamp, in the notes).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { compiledBinary } from "../../tests/support/binaries.ts";
import { controllerMissing, startControllerCluster } from "../support/controllers.ts";
import { createPods, kubeCaller, observePods } from "../support/pod-traffic.ts";
import { BENCH_LABEL, INIT_CONTAINER, podManifest, TOKEN_VOLUME } from "../support/pods.ts";
import { LISTENING_LINE } from "../support/spawn-init.ts";
import { percentiles } from "../support/stats.ts";
import { type Section, sampleCount, unmeasured } from "./types.ts";

/**
 * 10 pods per second: each compiled init start costs 40-100 ms of CPU (module loading, certificate, bind), so on the
 * 2-core benchmark machine 10 starts a second use 0.4-1 core and leave the rest to the controllers, the stand-ins
 * and this process. At 50/s (issue 8's rate) the starts alone asked for 2-5 cores: a backlog formed (inits took
 * ~0.8 s to listen, pushes waited > 30 s) and the figure measured the machine, not the product. The init start-up
 * reported beside the figure shows whether the rate held: near the idle `init` figure, it did.
 */
const PODS_PER_SECOND = 10;
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
    const pods = sampleCount(context, PODS_PER_SECOND * 60, PODS_PER_SECOND * 10);
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
      const samples: number[] = [];
      const starts: number[] = [];
      const afterListening: number[] = [];
      for (const name of names) {
        const volume = sandbox.kubelet.volumeDirFor(NAMESPACE, name, TOKEN_VOLUME);
        const seen = observer.runningSeenAt(name);
        if (volume === undefined || seen === undefined)
          throw new Error(`pod ${name} was not observed running`);
        const confirmed = statSync(join(volume, "vault-token")).mtimeMs;
        samples.push(confirmed - seen);
        const logs = sandbox.kubelet.logPathsFor(NAMESPACE, name, INIT_CONTAINER);
        const listening = logs ? listeningLine(logs.stderr) : undefined;
        if (listening?.sinceProcessStartMs !== undefined) starts.push(listening.sinceProcessStartMs);
        if (listening?.at !== undefined) afterListening.push(confirmed - listening.at);
      }
      const histogram = await histogramNote(controllers.replicas.map((r) => r.metricsUrl));
      const start = starts.length > 0 ? percentiles(starts) : undefined;
      const startNote = start
        ? `init start-up (process start -> listening, as the init counts it) p50 ${start.p50} ms, p99 ${start.p99} ms over ${starts.length} inits (the idle figure is init.startup_ms; well above it, the machine was saturated and sets this figure)`
        : "init start-up times unreadable";
      const after = afterListening.length > 0 ? percentiles(afterListening) : undefined;
      const afterNote = after
        ? `listening -> token written (controller notices + mint + push + the init's lookup/unwrap/login) p50 ${after.p50} ms, p99 ${after.p99} ms`
        : "listening times unreadable";
      return {
        value: {
          ...percentiles(samples),
          init_start_p50_ms: start?.p50 ?? null,
          init_start_p99_ms: start?.p99 ?? null,
        },
        mode: "real init executable",
        notes: [
          `${pods} pods at ${PODS_PER_SECOND}/s (a rate 2 cores sustain with a compiled init start each: see PODS_PER_SECOND in bench/sections/push-latency.ts); ${note}`,
          "the figure runs from the init seen running (its process spawned) to its token written, so it includes the init's own start-up",
          startNote,
          afterNote,
          histogram,
        ],
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

/** The init's listening log line: its wall-clock time and its own since_process_start_ms, if it logged one. */
function listeningLine(stderrPath: string): { at?: number; sinceProcessStartMs?: number } | undefined {
  try {
    const line = readFileSync(stderrPath, "utf8")
      .split("\n")
      .find((l) => l.includes(LISTENING_LINE));
    if (!line) return undefined;
    const fields = JSON.parse(line) as { time?: unknown; since_process_start_ms?: unknown };
    const at = typeof fields.time === "string" ? Date.parse(fields.time) : Number.NaN;
    return {
      ...(Number.isFinite(at) ? { at } : {}),
      ...(typeof fields.since_process_start_ms === "number"
        ? { sinceProcessStartMs: fields.since_process_start_ms }
        : {}),
    };
  } catch {
    return undefined;
  }
}
