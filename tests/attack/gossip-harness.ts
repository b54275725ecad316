/**
 * The stage for issue 12's gossip attacks: the sandbox with two compiled controllers that found each other by
 * gossip (one Raft cluster of two voters, so every issuance needs both), the attacker as its own process
 * (./gossip-attacker.ts) aimed at the leader's gossip port, and the evidence: the leader's VmRSS sampled from
 * /proc/<pid>/status every RSS_SAMPLE_MS while the attack runs, a pod served during and one after the attack, and
 * neither replica ever declaring the other failed.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freeBlocks } from "../../sim/demo/addresses.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { CONTROLLER_PORTS } from "../../sim/sandbox/workloads.ts";
import {
  createReplica,
  type GossipReplica,
  leaders,
  metricValue,
  publishReplicas,
} from "../gossip-e2e/replicas.ts";
import { createPod, kubeApi, podStatus, served } from "../raft-e2e/pods.ts";
import { compiledBinary } from "../support/binaries.ts";
import { killAllStarted, startProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

const ATTACKER = resolve(import.meta.dir, "gossip-attacker.ts");
const RSS_SAMPLE_MS = 100;
/** What every attack must leave the controller under: the manifests' limit is 256Mi, and idle is about 77 MB. */
export const RSS_BOUND_MB = 150;

export interface AttackCluster {
  readonly dir: string;
  readonly sandbox: Sandbox;
  readonly kube: ApiCaller;
  readonly replicas: readonly GossipReplica[];
  /** 127.x addresses in the controllers' own block that the attacker sends from. */
  attackerSources(count: number): string[];
  stop(): Promise<void>;
}

async function podServed(kube: ApiCaller, name: string): Promise<void> {
  await waitFor(`pod ${name} served`, async () => served(await podStatus(kube, name)), 120_000, 200);
}

/** Sandbox plus two gossip-discovered controllers with one leader, two Raft voters and a first pod served. */
export async function startAttackCluster(prefix: string): Promise<AttackCluster> {
  compiledBinary("init");
  compiledBinary("controller");
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Free blocks, not fixed ones: other tests and demos on this machine share 127.0.0.0/8.
  const [block] = freeBlocks("controller", 1);
  const [podBlock] = freeBlocks("pod", 1);
  const sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: podBlock,
    initRestartBackoffMs: 500,
  });
  const kube = kubeApi(sandbox);
  const replicas = [0, 1].map((i) => createReplica(sandbox, join(dir, "controllers"), i));
  const ipOf = (i: number) => `${block}.${i + 1}`;
  const publish = (ready: boolean) =>
    publishReplicas(
      sandbox,
      replicas.map((r, i) => ({ name: r.name, ip: ipOf(i), ready })),
    );
  const cluster: AttackCluster = {
    dir,
    sandbox,
    kube,
    replicas,
    attackerSources: (count) => Array.from({ length: count }, (_, i) => `${block}.${200 + i}`),
    async stop() {
      for (const replica of replicas) await replica.kill();
      killAllStarted();
      await sandbox.stop();
    },
  };
  try {
    await publish(false);
    await Promise.all(replicas.map((r, i) => r.start(ipOf(i))));
    await publish(true);
    for (const [i, replica] of replicas.entries()) {
      const other = replicas[1 - i] as GossipReplica;
      await waitFor(`${replica.name} to gossip-join ${other.name}`, async () => {
        const text = await replica.metrics();
        return (
          (metricValue(text, `kubernetesvault_gossip_nodes_joined_total{node="${other.name}"}`) ?? 0) >= 1
        );
      });
    }
    const [leader] = await waitFor("one leader", async () => {
      const now = await leaders(replicas);
      return now.length === 1 ? now : undefined;
    });
    await waitFor(
      "two Raft voters",
      async () => metricValue(await (leader as GossipReplica).metrics(), "kubernetesvault_raft_nodes") === 2,
    );
    await createPod(sandbox, kube, "warm-up");
    await podServed(kube, "warm-up");
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Resident set size of `pid` in MB (VmRSS of /proc/<pid>/status), or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSampler {
  stop(): { maxMb: number; samples: number };
}

export function sampleRss(pid: number): RssSampler {
  let maxMb = 0;
  let samples = 0;
  const take = () => {
    const mb = rssMb(pid);
    if (mb === undefined) return;
    samples++;
    maxMb = Math.max(maxMb, mb);
  };
  take();
  const timer = setInterval(take, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxMb, samples };
    },
  };
}

export interface AttackReport {
  readonly target: GossipReplica;
  readonly other: GossipReplica;
  readonly baselineMb: number;
  readonly maxMb: number;
  readonly samples: number;
  /** Whether the attacker was still running when the pod created during the attack was served. */
  readonly servedWhileAttacking: boolean;
  readonly attackerOutput: string;
  /** gossip_packets_dropped_total by reason on the target, after the attack. */
  readonly dropped: Record<string, number>;
  /** "peer failed" log lines about each other, on either replica, over the whole test. */
  readonly failures: number;
}

function droppedByReason(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of text.matchAll(
    /^kubernetesvault_gossip_packets_dropped_total\{reason="([^"]+)"\} (\S+)$/gm,
  ))
    out[match[1] ?? ""] = Number(match[2]);
  return out;
}

/**
 * Aims the attacker (`mode` and its arguments after the target) at the leader's gossip port, samples the leader's
 * RSS until the attacker exits by itself, serves one pod during the attack and one after, and reports.
 */
export async function runAttack(
  cluster: AttackCluster,
  mode: "tcp" | "udp",
  args: (target: string) => string[],
): Promise<AttackReport> {
  const [target] = await waitFor("one leader to attack", async () => {
    const now = await leaders(cluster.replicas);
    return now.length === 1 ? now : undefined;
  });
  if (!target) throw new Error("no leader");
  const other = cluster.replicas.find((r) => r !== target) as GossipReplica;
  const pid = target.pid();
  if (pid === undefined) throw new Error(`${target.name} has no pid`);
  const baselineMb = rssMb(pid) ?? 0;
  const sampler = sampleRss(pid);
  const attacker = startProcess(
    process.execPath,
    [ATTACKER, mode, ...args(`${target.ip()}:${CONTROLLER_PORTS.gossip}`)],
    { logPath: join(cluster.dir, `attacker-${mode}.log`) },
  );
  let servedWhileAttacking = false;
  try {
    await attacker.waitForOutput('"started":true');
    await createPod(cluster.sandbox, cluster.kube, `during-${mode}`);
    await podServed(cluster.kube, `during-${mode}`);
    servedWhileAttacking = attacker.exitCode() === null;
    await waitFor("the attacker to stop by itself", () => attacker.exitCode() !== null, 180_000, 100);
  } finally {
    await attacker.stop();
  }
  const { maxMb, samples } = sampler.stop();
  await createPod(cluster.sandbox, cluster.kube, `after-${mode}`);
  await podServed(cluster.kube, `after-${mode}`);
  const failures = [target, other]
    .flatMap((r) => r.lines())
    .filter(
      (line) => line.msg === "peer failed" && (line.peer === target.name || line.peer === other.name),
    ).length;
  const report: AttackReport = {
    target,
    other,
    baselineMb,
    maxMb,
    samples,
    servedWhileAttacking,
    attackerOutput: attacker.output(),
    dropped: droppedByReason(await target.metrics()),
    failures,
  };
  console.log(
    JSON.stringify({
      test: `gossip-${mode}-attack`,
      target: target.name,
      baselineMb: Math.round(baselineMb),
      maxMb: Math.round(maxMb),
      samples,
      servedWhileAttacking,
      failures,
      dropped: report.dropped,
      attacker: attacker.output().trim().split("\n").pop(),
    }),
  );
  return report;
}

export interface AttackTestSpec {
  readonly title: string;
  /** mkdtemp prefix of the test's scratch directory. */
  readonly prefix: string;
  readonly mode: "tcp" | "udp";
  /** The attacker's arguments after its mode, for the target "host:port". */
  readonly args: (cluster: AttackCluster, target: string) => string[];
  /** Drop reasons that must have been counted on the target (the bounds that shed the attack). */
  readonly counted: readonly string[];
}

/**
 * One attack test file: the cluster before, stopped after, and the test that runs the attack and asserts what
 * issue 12 asks: RSS (sampled all along) under RSS_BOUND_MB, a pod served while the attack was still running and
 * one after, no gossip failure either way, and `counted` reasons counted.
 */
export function defineAttackTest(spec: AttackTestSpec): void {
  setDefaultTimeout(600_000);
  let cluster: AttackCluster | undefined;
  beforeAll(async () => {
    cluster = await startAttackCluster(spec.prefix);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  test(spec.title, async () => {
    if (!cluster) throw new Error("no cluster");
    const stage = cluster;
    const report = await runAttack(stage, spec.mode, (target) => spec.args(stage, target));
    expect(report.samples).toBeGreaterThan(50);
    expect(report.maxMb).toBeLessThan(RSS_BOUND_MB);
    expect(report.servedWhileAttacking).toBe(true);
    expect(report.failures).toBe(0);
    // The reasons that were never counted: none.
    expect(spec.counted.filter((reason) => (report.dropped[reason] ?? 0) === 0)).toEqual([]);
  });
}
