/**
 * One demo run: sandbox, controller cluster, sample pods in two waves with the leader killed between them (and,
 * with --chaos, cut watches, a forced 410 and a Vault outage), then the checks. Everything started is handed to
 * `track` first, so the caller can stop it all by pid on any exit path, Ctrl-C included.
 */
import { join } from "node:path";
import { startSandbox } from "../sandbox/index.ts";
import { freeBlock } from "./addresses.ts";
import type { DemoBinaries } from "./binaries.ts";
import {
  awaitTakeover,
  type Cluster,
  DEFAULT_REPLICAS,
  killLeader,
  startCluster,
  type Takeover,
  views,
} from "./cluster.ts";
import { type Display, quantile } from "./display.ts";
import type { DemoOptions } from "./options.ts";
import { type DemoPod, PodTracker, planPods } from "./pods.ts";
import { fetchText } from "./replicas.ts";
import { type Check, histogramQuantiles, type Outcome } from "./summary.ts";

const SERVE_DEADLINE_MS = 40_000;
const REFUSAL_EVENT_DEADLINE_MS = 15_000;
const VAULT_OUTAGE_MS = 3_000;
const TICK_MS = 100;

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export interface DemoRun {
  outcome: Outcome;
  sandbox: Sandbox;
  cluster: Cluster;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DemoContext {
  stateDir: string;
  binaries: DemoBinaries;
  display: Display;
  track: (stop: () => Promise<void>) => void;
}

/** The sandbox and the controller cluster every demo run starts with; `elapsed` counts from the call. */
export async function startDemoBase(
  options: DemoOptions,
  context: DemoContext,
  controllerEnv: Record<string, string> = {},
): Promise<{ sandbox: Sandbox; cluster: Cluster; elapsed: () => number }> {
  const { display } = context;
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  const controllerPrefix = freeBlock("controller", options.controllerPrefix);
  const podPrefix = freeBlock("pod", options.podPrefix);
  display.note(`addresses: controllers ${controllerPrefix}.<n+1>, pods ${podPrefix}.x.y`);
  const sandbox = await startSandbox({
    dir: join(context.stateDir, "sandbox"),
    initRestartBackoffMs: 500,
    podIpPrefix: podPrefix,
    backend: options.real ? "real" : "stand-ins",
  });
  context.track(() => sandbox.stop());
  display.note(
    `sandbox up in ${elapsed()} ms: Vault ${sandbox.description.vault.addr}, API ${sandbox.description.kubernetes.server}`,
  );

  const wanted = options.replicas ?? DEFAULT_REPLICAS;
  const cluster = await startCluster({
    sandbox,
    binary: context.binaries.controller,
    wanted,
    addressPrefix: controllerPrefix,
    stateDir: join(context.stateDir, "controllers"),
    extraEnv: controllerEnv,
    onStarted: (set) => context.track(() => set.stop()),
  });
  for (const note of cluster.notes) display.note(`NOTE: ${note}`);
  const firstLeader = (await cluster.set.leaders())[0]?.name ?? "?";
  display.note(
    `${cluster.members.length} controller replica(s) ready at ${elapsed()} ms; leader ${firstLeader}`,
  );

  return { sandbox, cluster, elapsed };
}

export async function runDemo(options: DemoOptions, context: DemoContext): Promise<DemoRun> {
  const { display } = context;
  const { sandbox, cluster, elapsed } = await startDemoBase(options, context);
  const tracker = new PodTracker(sandbox, context.binaries.init);
  const pods = planPods(options.pods);
  const allowed = pods.filter((p) => p.allowed);
  const refused = pods.filter((p) => !p.allowed);
  const servedCount = () => allowed.filter((p) => p.token).length;
  const tick = async () => {
    const now = performance.now();
    tracker.refresh(pods, now);
    const latencies = allowed.flatMap((p) =>
      p.servedAt !== undefined && p.createdAt !== undefined ? [p.servedAt - p.createdAt] : [],
    );
    display.progress({
      elapsedMs: elapsed(),
      created: pods.filter((p) => p.createdAt !== undefined).length,
      total: pods.length,
      served: servedCount(),
      allowed: allowed.length,
      replicas: await views(cluster.members),
      latencyMs:
        latencies.length > 0
          ? { p50: Math.round(quantile(latencies, 0.5)), max: Math.round(Math.max(...latencies)) }
          : undefined,
    });
  };
  const waitServed = async (wave: DemoPod[], share: number, deadlineMs: number) => {
    const end = performance.now() + deadlineMs;
    while (
      wave.filter((p) => p.allowed && p.token).length <
      Math.ceil(share * wave.filter((p) => p.allowed).length)
    ) {
      if (performance.now() > end) return false;
      await tick();
      await pause(TICK_MS);
    }
    await tick();
    return true;
  };
  const createAll = async (wave: DemoPod[]) => {
    for (const pod of wave) await tracker.create(pod, performance.now());
  };

  // The refused pod first, so its Warning is written while the others are delivered.
  const half = Math.ceil(allowed.length / 2);
  const firstWave = [...refused, ...allowed.slice(0, half)];
  const secondWave = allowed.slice(half);
  display.note(`creating ${firstWave.length} pods (one in team-c asking for a role it is not allowed)`);
  await createAll(firstWave);
  await waitServed(firstWave, 0.5, SERVE_DEADLINE_MS);

  display.note(`killing the leader with SIGKILL while pods are in flight`);
  const killed = await killLeader(cluster);
  const takeoverPromise = awaitTakeover(cluster, killed);
  const chaos = options.chaos ? startChaos(sandbox, display) : Promise.resolve();
  display.note(`creating the other ${secondWave.length} pods during the takeover`);
  await createAll(secondWave);
  const takeover = await takeoverPromise;
  display.note(describeTakeover(takeover, cluster));
  const allServed = await waitServed(pods, 1, SERVE_DEADLINE_MS);
  await chaos;
  display.finish();
  if (!allServed) display.note(`not every allowed pod was served within ${SERVE_DEADLINE_MS} ms`);

  const outcome = await check({ tracker, allowed, refused, takeover, cluster, elapsedMs: elapsed() });
  return { outcome, sandbox, cluster };
}

function describeTakeover(takeover: Takeover, cluster: Cluster): string {
  if (takeover.ms === undefined) return `no replica led again after ${takeover.killed} was killed`;
  return cluster.members.length === 1
    ? `${takeover.killed} killed and restarted (single replica): leading again after ${takeover.ms} ms`
    : `takeover: ${takeover.killed} killed, ${takeover.newLeader} leads after ${takeover.ms} ms`;
}

async function startChaos(sandbox: DemoRun["sandbox"], display: Display): Promise<void> {
  sandbox.kube.cutWatches();
  await sandbox.kube.compactAll();
  display.note("chaos: every API watch cut and history compacted (resuming watches get 410 Gone)");
  await sandbox.vault.setOnline(false);
  display.note(`chaos: Vault stopped for ${VAULT_OUTAGE_MS / 1000} s`);
  await pause(VAULT_OUTAGE_MS);
  await sandbox.vault.setOnline(true);
  display.note("chaos: Vault back");
}

async function check(input: {
  tracker: PodTracker;
  allowed: DemoPod[];
  refused: DemoPod[];
  takeover: Takeover;
  cluster: Cluster;
  elapsedMs: number;
}): Promise<Outcome> {
  const { tracker, allowed, refused, takeover, cluster } = input;
  const served = allowed.filter((p) => p.token);
  const accepted = await Promise.all(served.map((p) => tracker.vaultAccepts(p.token ?? "")));
  const acceptedCount = accepted.filter(Boolean).length;
  const refusalChecks = await Promise.all(refused.map((pod) => refusalEvidence(tracker, pod)));
  const latencies = served.flatMap((p) =>
    p.servedAt !== undefined && p.createdAt !== undefined ? [p.servedAt - p.createdAt] : [],
  );
  // Summed over the live replicas: each counts the pushes it made while leading (the killed one's are lost).
  const live = cluster.members.filter((r) => r.alive());
  const metricsTexts = await Promise.all(live.map(async (r) => (await fetchText(r.metricsUrl)) ?? ""));
  const histogram = histogramQuantiles(metricsTexts.join("\n"), "kubernetesvault_push_latency_seconds");
  const checks: Check[] = [
    {
      what: "allowed pods with a token file",
      result: `${served.length}/${allowed.length}`,
      ok: served.length === allowed.length,
    },
    {
      what: "tokens Vault's lookup-self accepts",
      result: `${acceptedCount}/${allowed.length}`,
      ok: acceptedCount === allowed.length,
    },
    ...refusalChecks.flat(),
  ];
  const facts = [
    {
      what: "controller replicas",
      value: `${cluster.members.length}${cluster.coordinated ? "" : " (Raft not in this build)"}`,
    },
    {
      what:
        cluster.members.length > 1
          ? "leader takeover after SIGKILL"
          : "restart after SIGKILL (single replica)",
      value:
        takeover.ms === undefined
          ? `none (${takeover.killed} killed)`
          : `${takeover.ms} ms (${takeover.killed} -> ${takeover.newLeader})`,
    },
    {
      what: "create -> token file (demo's view)",
      value:
        latencies.length > 0
          ? `p50 ${Math.round(quantile(latencies, 0.5))} ms, p99 ${Math.round(quantile(latencies, 0.99))} ms`
          : "-",
    },
    {
      what: "push latency (live replicas' histograms)",
      value: histogram
        ? `p50 ${histogram.p50}, p99 ${histogram.p99} over ${histogram.count} pushes`
        : "no pushes recorded by the live replicas",
    },
    { what: "wall time", value: `${(input.elapsedMs / 1000).toFixed(1)} s` },
  ];
  return { checks, facts };
}

async function refusalEvidence(tracker: PodTracker, pod: DemoPod): Promise<Check[]> {
  const end = performance.now() + REFUSAL_EVENT_DEADLINE_MS;
  let warning: { message: string } | undefined;
  while (!warning && performance.now() < end) {
    warning = (await tracker.events(pod)).find(
      (e) => e.reason === "VaultRoleNotAllowed" && e.type === "Warning",
    );
    if (!warning) await pause(TICK_MS);
  }
  const token = tracker.tokenOf(pod);
  return [
    {
      what: `${pod.namespace}/${pod.name} (role ${pod.role}) has no token`,
      result: token ? "it HAS one" : "none",
      ok: !token,
    },
    {
      what: `${pod.namespace}/${pod.name} Warning VaultRoleNotAllowed`,
      result: warning ? `"${warning.message.slice(0, 60)}…"` : "missing",
      ok: warning !== undefined,
    },
  ];
}
