/**
 * Five compiled controllers on the sandbox that discover each other only through gossip seeded from the controller
 * Service's Endpoints (no RAFT_PEERS): they form one Raft cluster; a SIGKILLed replica is declared failed within the
 * gossip bound (measured) and removed from Raft while pods keep being served; all five roll one at a time to new
 * addresses (one free loopback block to another, same names and Raft directories, Endpoints updated) with a leader throughout and
 * every pod created during the roll served; a gossip member with another CLUSTER_KEY is refused.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  clusterLabel,
  createKeyring,
  defaults,
  type GossipNode,
  openUdpTransport,
  startGossipNode,
} from "../../lib/gossip/index.ts";
import { MEMBER_REMOVAL_GRACE_MS } from "../../lib/main/membership.ts";
import { freeBlocks } from "../../sim/demo/addresses.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { CONTROLLER_PORTS } from "../../sim/sandbox/workloads.ts";
import { createPod, kubeApi, podStatus, served } from "../raft-e2e/pods.ts";
import { compiledBinary } from "../support/binaries.ts";
import { killAllStarted } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";
import { createReplica, type GossipReplica, leaders, metricValue, publishReplicas } from "./replicas.ts";

setDefaultTimeout(600_000);

const COUNT = 5;
// Free blocks, not fixed ones: a demo or another run on this machine may hold 127.0.2.x.
const [oldBlock, newBlock] = freeBlocks("controller", 2);
const [podBlock] = freeBlocks("pod", 1);
const oldIp = (i: number) => `${oldBlock}.${i + 1}`;
const newIp = (i: number) => `${newBlock}.${i + 1}`;
/** The slowest declaration SWIM allows at 5 members (probe round, ack timeout, a suspicion nobody confirms), plus
 * room for a busy 2-core machine's event loops. */
const DETECTION_BOUND_MS =
  defaults.PROBE_INTERVAL_MS +
  defaults.PROBE_TIMEOUT_MS +
  defaults.SUSPICION_MAX_TIMEOUT_MULT *
    defaults.SUSPICION_MULT *
    defaults.PROBE_INTERVAL_MS *
    Math.max(1, Math.log10(COUNT)) +
  3_000;

/** Two full election windows (RAFT_TIMING: 600 ms at most each) plus a metrics scrape on a busy machine. */
const LEADERLESS_BOUND_MS = 3_000;

let sandbox: Sandbox;
let kube: ApiCaller;
let replicas: GossipReplica[];
const ready = new Map<string, { ip: string; ready: boolean }>();
let rogue: GossipNode | undefined;

const publish = () =>
  publishReplicas(
    sandbox,
    replicas
      .filter((r) => ready.has(r.name))
      .map((r) => ({ name: r.name, ...(ready.get(r.name) ?? { ip: "", ready: false }) })),
  );
const running = () => replicas.filter((r) => r.running());
const log = (message: string, fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ test: "gossip-e2e", message, ...fields }));

async function podServed(name: string): Promise<void> {
  await waitFor(`pod ${name} served`, async () => served(await podStatus(kube, name)), 120_000, 200);
}

async function oneLeader(): Promise<GossipReplica> {
  return waitFor("exactly one leading controller", async () => {
    const now = await leaders(running());
    return now.length === 1 ? now[0] : undefined;
  });
}

beforeAll(async () => {
  compiledBinary("init");
  compiledBinary("controller");
  const dir = mkdtempSync(join(tmpdir(), "gossip-e2e-"));
  sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: podBlock,
    initRestartBackoffMs: 500,
  });
  kube = kubeApi(sandbox);
  replicas = Array.from({ length: COUNT }, (_, i) => createReplica(sandbox, join(dir, "controllers"), i));
  // Pods of a new StatefulSet get their IPs first and are listed as not ready until their probes pass.
  for (const [i, r] of replicas.entries()) ready.set(r.name, { ip: oldIp(i), ready: false });
  await publish();
  await Promise.all(replicas.map((r, i) => r.start(oldIp(i))));
  for (const [i, r] of replicas.entries()) ready.set(r.name, { ip: oldIp(i), ready: true });
  await publish();
});

afterAll(async () => {
  await rogue?.stop();
  for (const replica of replicas ?? []) await replica.kill();
  killAllStarted();
  await sandbox?.stop();
});

test("five controllers find each other through the Endpoints alone and form one Raft cluster that serves pods", async () => {
  for (const replica of replicas) {
    await waitFor(`${replica.name} to have gossip-joined the four others`, async () => {
      const text = await replica.metrics();
      return replicas
        .filter((other) => other !== replica)
        .every(
          (other) =>
            (metricValue(text, `kubernetesvault_gossip_nodes_joined_total{node="${other.name}"}`) ?? 0) >= 1,
        );
    });
    expect(metricValue(await replica.metrics(), "kubernetesvault_kubernetes_discovered_nodes")).toBe(COUNT);
  }
  const leader = await oneLeader();
  await waitFor(
    "five Raft voters",
    async () => metricValue(await leader.metrics(), "kubernetesvault_raft_nodes") === COUNT,
  );
  await createPod(sandbox, kube, "gossip-first");
  await podServed("gossip-first");
});

test("a SIGKILLed replica is declared failed within the gossip bound and removed from Raft; pods keep being served", async () => {
  const leader = await oneLeader();
  const victim = replicas.find((r) => r !== leader && r.running());
  if (!victim) throw new Error("no follower to kill");
  const killedAt = Date.now();
  await victim.kill();
  const survivors = running();
  const detections = await Promise.all(
    survivors.map((survivor) =>
      waitFor(`${survivor.name} to declare ${victim.name} failed`, () => {
        const line = survivor.lines().find((l) => l.msg === "peer failed" && l.peer === victim.name);
        return line ? Date.parse(line.time) - killedAt : undefined;
      }),
    ),
  );
  log("failure detection after SIGKILL", {
    victim: victim.name,
    detectionsMs: detections,
    boundMs: DETECTION_BOUND_MS,
  });
  for (const ms of detections) expect(ms).toBeLessThanOrEqual(DETECTION_BOUND_MS);
  // The endpoints controller drops a dead pod's address too.
  ready.delete(victim.name);
  await publish();

  await createPod(sandbox, kube, "gossip-after-kill");
  await podServed("gossip-after-kill");
  const removedBy = MEMBER_REMOVAL_GRACE_MS + 60_000;
  await waitFor(
    `${victim.name} removed from the Raft configuration`,
    async () => {
      const current = await oneLeader();
      return metricValue(await current.metrics(), "kubernetesvault_raft_nodes") === COUNT - 1;
    },
    removedBy,
    500,
  );
  log("removed from raft", { victim: victim.name, afterMs: Date.now() - killedAt });
});

test("rolling all five to new addresses one at a time keeps a leader and serves the pods created meanwhile", async () => {
  let watching = true;
  let lastLeaderAt = Date.now();
  let longestGapMs = 0;
  const watcher = (async () => {
    while (watching) {
      const now = await leaders(running());
      const at = Date.now();
      if (now.length > 0) lastLeaderAt = at;
      longestGapMs = Math.max(longestGapMs, at - lastLeaderAt);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const pods: string[] = [];
  try {
    for (const [i, replica] of replicas.entries()) {
      await replica.terminate();
      ready.set(replica.name, { ip: newIp(i), ready: false });
      await publish();
      const pod = `gossip-roll-${i}`;
      await createPod(sandbox, kube, pod);
      pods.push(pod);
      await replica.start(newIp(i));
      // A rolling update moves on only once the new pod is Ready, and only then do the Endpoints list it as ready.
      await waitFor(`${replica.name} ready at ${newIp(i)}`, () => replica.isReady());
      ready.set(replica.name, { ip: newIp(i), ready: true });
      await publish();
      // Every other replica logs the rejoin at the new address (a "left" member coming back is a "joined").
      const gossipAddress = `${newIp(i)}:${CONTROLLER_PORTS.gossip}`;
      await waitFor(`${replica.name} back in gossip at ${gossipAddress}`, () =>
        running()
          .filter((r) => r !== replica)
          .every((r) =>
            r
              .lines()
              .some((l) => l.msg === "peer joined" && l.peer === replica.name && l.gossip === gossipAddress),
          ),
      );
      await oneLeader();
      log("rolled", { replica: replica.name, ip: newIp(i), longestLeaderlessMs: longestGapMs });
    }
    for (const pod of pods) await podServed(pod);
  } finally {
    watching = false;
    await watcher;
  }
  log("roll finished", { longestLeaderlessMs: longestGapMs });
  expect(replicas.every((r) => r.running() && r.ip().startsWith(`${newBlock}.`))).toBe(true);
  // A graceful leader hands over (TimeoutNow) to a reachable voter, so the gap is the transferee's election and the
  // gauge's poll, far under one election timeout; the bound leaves room for a starved 2-core machine.
  expect(longestGapMs).toBeLessThan(LEADERLESS_BOUND_MS);
  const leader = await oneLeader();
  await waitFor(
    "all five replicas voters again",
    async () => metricValue(await leader.metrics(), "kubernetesvault_raft_nodes") === COUNT,
    120_000,
    500,
  );
});

test("a gossip member with another CLUSTER_KEY is refused by every controller", async () => {
  const transport = await openUdpTransport({ host: "127.0.9.1", port: CONTROLLER_PORTS.gossip });
  rogue = startGossipNode({
    name: "rogue",
    transport,
    keyring: await createKeyring(["another-cluster-key-of-at-least-32-bytes!!"]),
    meta: { raft: `127.0.9.1:${CONTROLLER_PORTS.raft}` },
    label: clusterLabel(sandbox.description.controller.namespace, sandbox.description.controller.service),
  });
  const node = rogue;
  node.join(replicas.map((r) => ({ host: r.ip(), port: CONTROLLER_PORTS.gossip })));
  const dropped = async (r: GossipReplica) =>
    metricValue(
      await r.metrics(),
      'kubernetesvault_gossip_packets_dropped_total{reason="unauthenticated"}',
    ) ?? 0;
  await waitFor("every controller to count the rogue's packets as unauthenticated", async () => {
    const counts = await Promise.all(replicas.map(dropped));
    return counts.every((count) => count > 0);
  });
  for (const replica of replicas) {
    expect(await replica.metrics()).not.toContain('node="rogue"');
    expect(replica.lines().some((l) => l.peer === "rogue")).toBe(false);
  }
  expect(node.liveMembers().map((m) => m.name)).toEqual(["rogue"]);
});
