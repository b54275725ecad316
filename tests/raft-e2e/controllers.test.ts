// Three compiled controllers replicated by Raft (RAFT_PEERS, mutual TLS with the sandbox's Vault PKI plus the
// CLUSTER_KEY HMAC) against the sandbox: one leader serves pods; SIGKILL of the leader during a 200-pod burst loses
// no pod and serves none twice; a SIGSTOPped leader is replaced and, resumed, follows without pushing; a full
// restart keeps the ledger.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fleet } from "../../sim/fleet/index.ts";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { CONTROLLER_PORTS, controllerEnv } from "../../sim/sandbox/workloads.ts";
import { compiledBinary } from "../support/binaries.ts";
import { killAllStarted, startProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";
import { type ControllerCluster, deliveries } from "./controllers.ts";
import { measureFailover } from "./failover.ts";
import { leaderKillBurst } from "./leader-kill-burst.ts";
import { createPod, loginsByAddress, mintsFor, podStatus, served } from "./pods.ts";
import { type RaftRig, startRaftRig } from "./rig.ts";

setDefaultTimeout(600_000);

const BURST = 200;
let rig: RaftRig;
let sandbox: Sandbox;
let fleet: Fleet;
let cluster: ControllerCluster;
let kube: ApiCaller;

beforeAll(async () => {
  rig = await startRaftRig({
    name: "raft-e2e",
    podIpPrefix: "127.51",
    fleetPodIpPrefix: "127.52",
    controllerPrefix: "127.0.51",
  });
  ({ sandbox, fleet, cluster, kube } = rig);
});

afterAll(async () => {
  await rig?.stop();
  killAllStarted();
});

/** Successful Vault logins from a pod's address: exactly 1 for a pod served once. */
const loginsOf = async (name: string) =>
  loginsByAddress(sandbox).get(String((await podStatus(kube, name)).status?.podIP)) ?? 0;

const servedPod = (name: string) =>
  waitFor(`pod ${name} served`, async () => served(await podStatus(kube, name)), 120_000, 100);

test("three replicas elect exactly one leader, which serves a pod", async () => {
  await cluster.leader();
  await createPod(sandbox, kube, "first");
  await servedPod("first");
  expect(await loginsOf("first")).toBe(1);
  // Under CPU starvation leadership may move mid-push (the push then counts as unconfirmed); never two confirm it.
  const deliverers = cluster.replicas.filter((r) => deliveries(r).some((line) => line.pod === "first"));
  expect(deliverers.length).toBeLessThanOrEqual(1);
  for (const replica of cluster.replicas) {
    const text = await replica.metrics();
    expect(text).toMatch(/^kubernetesvault_raft_nodes 3$/m);
    expect(text).not.toMatch(/^kubernetesvault_raft_rpc_rejected_total\{/m);
  }
  expect(await cluster.leaders()).toHaveLength(1);
});

test(`SIGKILL of the leader during a burst of ${BURST} pods: every pod served, none logged in twice`, async () => {
  const leader = await cluster.leader();
  try {
    const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    await leaderKillBurst({
      sandbox,
      kube,
      fleet,
      cluster,
      leader,
      names,
      killAt: 60,
      servedWithinMs: 240_000,
    });
  } finally {
    // Later tests need all three replicas, whatever happened here.
    if (leader.process().exitCode() !== null) await leader.start();
  }
  await waitFor(
    "the restarted replica to follow",
    async () => !(await leader.isLeader()) && (await cluster.leaders()).length === 1,
  );
});

test("SIGSTOP of the leader: another takes over; on SIGCONT it follows and pushes nothing", async () => {
  const stopped = await cluster.leader();
  const others = cluster.replicas.filter((r) => r !== stopped);
  stopped.process().signal("SIGSTOP");
  const stoppedAt = Date.now();
  try {
    await waitFor("another replica leading", async () => {
      const leading = await Promise.all(others.map((r) => r.isLeader()));
      return leading.filter(Boolean).length === 1;
    });
    await createPod(sandbox, kube, "during-stop");
    await servedPod("during-stop");
  } finally {
    stopped.process().signal("SIGCONT");
  }
  await waitFor("the resumed replica to report it does not lead", async () => !(await stopped.isLeader()));
  await cluster.leader();
  await createPod(sandbox, kube, "after-resume");
  await servedPod("after-resume");
  expect(await loginsOf("during-stop")).toBe(1);
  expect(await loginsOf("after-resume")).toBe(1);
  // On resume its first act is to notice the lapsed lease: nothing was pushed by it from the stop until then.
  // On a starved machine its lease may already have lapsed just before the stop landed, so the step-down that
  // counts is the first one after its last "leading" line before the stop, and it is awaited (logs are async).
  const lastLeadBeforeStop = Math.max(
    0,
    ...stopped
      .lines()
      .filter((line) => line.msg.startsWith("leading:") && Date.parse(line.time) <= stoppedAt)
      .map((line) => Date.parse(line.time)),
  );
  const stepDown = await waitFor("the resumed replica to log that it stepped down", () =>
    stopped.lines().find((line) => line.msg === "not leading" && Date.parse(line.time) > lastLeadBeforeStop),
  );
  const stepDownAt = Date.parse(String(stepDown.time));
  expect(
    deliveries(stopped).filter(
      (line) => Date.parse(line.time) > stoppedAt && Date.parse(line.time) <= stepDownAt,
    ),
  ).toEqual([]);
  expect(deliveries(stopped).some((line) => line.pod === "during-stop")).toBe(false);
});

test("restarting all three keeps the ledger: nothing served before is minted again", async () => {
  const before = await podStatus(kube, "after-resume");
  const uid = String(before.metadata?.uid);
  const mintsBefore = mintsFor(sandbox, uid);
  expect(mintsBefore).toBeGreaterThanOrEqual(1);
  const restartedAt = Date.now();
  for (const replica of cluster.replicas) await replica.kill();
  await Promise.all(cluster.replicas.map((replica) => replica.start()));
  const leader = await cluster.leader();
  const leading = leader
    .lines()
    .filter((line) => line.msg.startsWith("leading: this replica") && Date.parse(line.time) > restartedAt);
  expect(Number(leading[0]?.ledgerEntries)).toBeGreaterThanOrEqual(BURST + 3);
  await createPod(sandbox, kube, "after-restart");
  await servedPod("after-restart");
  expect(mintsFor(sandbox, uid)).toBe(mintsBefore);
});

test("the bench's failover helper times kill -> new leader -> its first push, and the cluster recovers", async () => {
  const figures = await measureFailover({
    cluster,
    kills: 5,
    createPod: (name) => createPod(sandbox, kube, name, fleet.nodeName),
    podPrefix: "failover",
  });
  console.log(JSON.stringify(figures));
  expect(figures.samples).toHaveLength(5);
  for (const sample of figures.samples) {
    expect(sample.killToLeadingMs).toBeGreaterThan(0);
    expect(sample.killToFirstPushMs).toBeGreaterThanOrEqual(sample.killToLeadingMs);
  }
  expect(await cluster.leaders()).toHaveLength(1);
});

test("SIGTERM of the leader hands leadership over before exiting 0", async () => {
  const leader = await cluster.leader();
  const run = leader.process();
  run.signal("SIGTERM");
  expect(await run.exited()).toBe(0);
  const handover = leader.lines().filter((line) => line.msg === "leadership handed over");
  expect(handover.at(-1)?.moved).toBe(true);
  const next = await cluster.leader();
  expect(next).not.toBe(leader);
  await leader.start();
  await waitFor("the restarted replica to follow", async () => !(await leader.isLeader()));
});

test("a controller with a PKI certificate but another CLUSTER_KEY is refused, counted, and never joins", async () => {
  const d = sandbox.description;
  const ip = "127.0.51.4";
  const peers = [
    ...cluster.replicas.map((r) => `${r.name}=${r.ip}:${CONTROLLER_PORTS.raft}`),
    `rogue=${ip}:${CONTROLLER_PORTS.raft}`,
  ];
  const rogueDir = mkdtempSync(join(tmpdir(), "raft-rogue-"));
  const rogue = startProcess(compiledBinary("controller"), [], {
    logPath: join(rogueDir, "rogue.log"),
    env: controllerEnv(d, 3, {
      POD_IP: ip,
      POD_NAME: "rogue",
      METRICS_LISTEN: `${ip}:${CONTROLLER_PORTS.metrics}`,
      HEALTH_LISTEN: `${ip}:${CONTROLLER_PORTS.health}`,
      RAFT_DIR: join(rogueDir, "raft"),
      RAFT_PEERS: peers.join(","),
      CLUSTER_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    }),
  });
  try {
    const refused = /^kubernetesvault_raft_rpc_rejected_total\{reason="unauthenticated"\} ([1-9]\d*)/m;
    await waitFor("the cluster refusing the rogue's RPCs", async () => {
      const texts = await Promise.all(cluster.replicas.map((r) => r.metrics().catch(() => "")));
      return texts.some((text) => refused.test(text));
    });
    const leader = await cluster.leader();
    expect(await leader.metrics()).toMatch(/^kubernetesvault_raft_nodes 3$/m);
    expect(rogue.output()).not.toContain("leading: this replica");
    await createPod(sandbox, kube, "with-rogue-around");
    await servedPod("with-rogue-around");
    expect(await loginsOf("with-rogue-around")).toBe(1);
  } finally {
    await rogue.stop();
  }
});
