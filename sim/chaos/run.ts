/**
 * One chaos run: the sandbox, the in-process fleet node, compiled controller replicas coordinated by Raft; pods
 * created at a steady rate while the seeded schedule kills leaders, stops Vault, cuts watches with forced 410s and
 * SIGSTOPs a replica; then the end-state checks. Everything started is handed to `track` first, so the caller can
 * stop it all by pid on any exit path, Ctrl-C included.
 */
import { join } from "node:path";
import { createPods, kubeCaller } from "../../bench/support/pod-traffic.ts";
import { podManifest } from "../../bench/support/pods.ts";
import { startCluster } from "../demo/cluster.ts";
import type { Outcome } from "../demo/summary.ts";
import { startFleet } from "../fleet/index.ts";
import { startSandbox } from "../sandbox/index.ts";
import { emptyCounts, runSchedule } from "./actions.ts";
import { chaosBlocks } from "./addresses.ts";
import { podChecks, raftChecks, replicaChecks } from "./checks.ts";
import { countLogins } from "./logins.ts";
import type { ChaosOptions } from "./options.ts";
import { CHAOS_NAMESPACE, CHAOS_ROLE, listChaosPods, tokenWritten } from "./pods.ts";
import { ChaosReplicas } from "./replicas.ts";
import { chaosSchedule } from "./schedule.ts";

const PROGRESS_MS = 2_000;
const CREATE_CONCURRENCY = 16;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(
  options: ChaosOptions,
  context: {
    stateDir: string;
    controllerBinary: string;
    note: (line: string) => void;
    track: (stop: () => Promise<void>) => void;
  },
): Promise<Outcome> {
  const t0 = performance.now();
  const deadline = t0 + options.durationLimitS * 1000;
  const seconds = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const note = (line: string) => context.note(`${seconds().padStart(7)}  ${line}`);
  const blocks = chaosBlocks(options.controllerPrefix);
  const controllerPrefix = blocks.controllers;
  const fleetPrefix = blocks.pods;
  note(`addresses: controllers ${controllerPrefix}.<n+1>, fleet pods ${fleetPrefix}.x.y`);

  const sandbox = await startSandbox({ dir: join(context.stateDir, "sandbox"), initRestartBackoffMs: 1_000 });
  context.track(() => sandbox.stop());
  const logins = countLogins(sandbox);
  const fleet = await startFleet({
    server: sandbox.kube.server,
    caPem: sandbox.kube.caPem,
    token: sandbox.kube.token,
    podsDir: join(context.stateDir, "fleet"),
    podIpPrefix: fleetPrefix,
    restartBackoffBaseMs: 1_000,
    restartBackoffMaxMs: 10_000,
  });
  context.track(() => fleet.stop());
  const controllersDir = join(context.stateDir, "controllers");
  const cluster = await startCluster({
    sandbox,
    binary: context.controllerBinary,
    wanted: options.replicas,
    addressPrefix: controllerPrefix,
    stateDir: controllersDir,
    onStarted: (set) => context.track(() => set.stop()),
  });
  if (!cluster.coordinated)
    throw new Error(`the replicas did not elect one leader: ${cluster.notes.join(" ")}`);
  const replicas = new ChaosReplicas(cluster);
  context.track(() => replicas.stopAll());
  note(`sandbox, fleet and ${options.replicas} replicas up`);

  const names = Array.from({ length: options.pods }, (_, i) => `chaos-${i}`);
  const manifests = names.map((name) =>
    podManifest(name, {
      sandbox: sandbox.description,
      namespace: CHAOS_NAMESPACE,
      role: CHAOS_ROLE,
      initCommand: ["fleet"],
      nodeName: fleet.nodeName,
    }),
  );
  const events = chaosSchedule(options);
  note(`seed ${options.seed}: ${events.map((e) => `${e.kind}@${(e.at / 1000).toFixed(1)}s`).join(", ")}`);
  const counts = emptyCounts();
  const going = () => performance.now() < deadline;
  const servedCount = () => names.filter((name) => tokenWritten(fleet, name)).length;
  const progress = setInterval(() => {
    void cluster.set.leaders().then((leaders) => {
      note(
        `served ${servedCount()}/${options.pods}, fleet pods ${fleet.podCount()}, leader ${leaders.map((l) => l.name).join(",") || "none"}`,
      );
    });
  }, PROGRESS_MS);
  try {
    const chaos = runSchedule({ events, sandbox, replicas, counts, note, going });
    await createPods(kubeCaller(sandbox), manifests, {
      perSecond: options.rate,
      concurrency: CREATE_CONCURRENCY,
    });
    note(`all ${options.pods} pods created`);
    await chaos;
    while (servedCount() < options.pods && going()) await pause(250);
  } finally {
    clearInterval(progress);
  }
  const allServedAt = seconds();
  const pods = await listChaosPods(sandbox, fleet);
  const checks = podChecks(pods, options.pods, logins);
  await replicas.stopAll();
  checks.push(...replicaChecks(replicas, options.maxRssMb), ...(await raftChecks(replicas, controllersDir)));
  const takeovers = [...counts.takeoverMs].sort((a, b) => a - b);
  const facts = [
    { what: "seed", value: String(options.seed) },
    {
      what: "leader kills (SIGKILL + restart)",
      value: `${counts.leaderKills} (${counts.killsSkipped} skipped: no leader)`,
    },
    {
      what: "takeover after a kill",
      value: takeovers.length
        ? `median ${takeovers[Math.floor(takeovers.length / 2)]} ms, max ${takeovers.at(-1)} ms`
        : "-",
    },
    { what: "vault outage", value: `${counts.vaultOutageMs / 1000} s` },
    { what: "watch cuts", value: String(counts.watchCuts) },
    { what: "forced 410s (history compacted)", value: String(counts.forced410s) },
    { what: "SIGSTOPs", value: `${counts.sigstops} (${counts.sigstopMs / 1000} s)` },
    { what: "secret_ids minted", value: String(sandbox.vault.stats.secretIdsMinted(CHAOS_ROLE)) },
    { what: "last pod served at", value: allServedAt },
    { what: "wall time", value: seconds() },
  ];
  return { checks, facts };
}
