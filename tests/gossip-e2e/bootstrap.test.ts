/**
 * Safe bootstrap with discovery (lib/main/discovery-coordination.ts): three compiled controllers started one after
 * another, each listed in the Endpoints only when it starts, so the first finds only itself. The first (highest
 * name) bootstraps a one-voter cluster; the two later ones (the lowest-named last) see its gossip membership flag and
 * join; never more than one leader at any 100 ms poll; all three end as voters; each pod is served exactly once.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { createPod, kubeApi, loginsByAddress, podStatus, served } from "../raft-e2e/pods.ts";
import { compiledBinary } from "../support/binaries.ts";
import { killAllStarted } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";
import { createReplica, type GossipReplica, metricValue, publishReplicas } from "./replicas.ts";

setDefaultTimeout(300_000);

const ipOf = (i: number) => `127.0.4.${i + 1}`;
let sandbox: Sandbox;
let kube: ApiCaller;
let replicas: GossipReplica[];

beforeAll(async () => {
  compiledBinary("init");
  compiledBinary("controller");
  const dir = mkdtempSync(join(tmpdir(), "gossip-bootstrap-"));
  sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: "127.63",
    initRestartBackoffMs: 500,
  });
  kube = kubeApi(sandbox);
  replicas = Array.from({ length: 3 }, (_, i) => createReplica(sandbox, join(dir, "controllers"), i));
});

afterAll(async () => {
  for (const replica of replicas ?? []) await replica.kill();
  killAllStarted();
  await sandbox?.stop();
});

async function leaderCount(): Promise<number> {
  const answers = await Promise.all(
    replicas
      .filter((r) => r.running())
      .map(async (r) => metricValue(await r.metrics().catch(() => ""), "kubernetesvault_is_leader") ?? 0),
  );
  return answers.reduce((sum, value) => sum + value, 0);
}

test("staggered replicas, the first alone in the Endpoints, form one cluster with one leader throughout", async () => {
  let polling = true;
  let firstLeaderSeen = false;
  let polls = 0;
  let maxLeaders = 0;
  const poller = (async () => {
    while (polling) {
      const count = await leaderCount();
      if (count > 0) firstLeaderSeen = true;
      if (firstLeaderSeen) {
        polls++;
        maxLeaders = Math.max(maxLeaders, count);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  // Started highest name first, so the lowest-named replica arrives last and must join, not bootstrap.
  const order = [2, 1, 0];
  const listed: { name: string; ip: string; ready: boolean }[] = [];
  for (const i of order) {
    const replica = replicas[i] as GossipReplica;
    for (const entry of listed) entry.ready = true;
    listed.push({ name: replica.name, ip: ipOf(i), ready: false });
    await publishReplicas(sandbox, listed);
    await replica.start(ipOf(i));
  }
  for (const replica of replicas)
    await waitFor(`${replica.name} sees three Raft voters`, async () => {
      return metricValue(await replica.metrics(), "kubernetesvault_raft_nodes") === 3;
    });
  const settledAt = performance.now();
  await waitFor(
    "a leader polled for 10 s after the cluster formed",
    async () => performance.now() - settledAt > 10_000 && polls > 0,
    60_000,
    200,
  );
  polling = false;
  await poller;
  expect(firstLeaderSeen).toBe(true);
  expect(polls).toBeGreaterThan(20);
  expect(maxLeaders).toBe(1);
  expect(await leaderCount()).toBe(1);

  const lines = replicas.map((r) => r.lines());
  const choices = lines.map((ls) => ls.find((l) => l.msg === "joining Raft")?.choice);
  expect(choices).toEqual(["join", "join", "bootstrap"]);

  const pods = ["bootstrap-a", "bootstrap-b", "bootstrap-c"];
  for (const pod of pods) await createPod(sandbox, kube, pod);
  const ips: string[] = [];
  for (const pod of pods) {
    const status = await waitFor(
      `pod ${pod} served`,
      async () => {
        const s = await podStatus(kube, pod);
        return served(s) ? s : undefined;
      },
      120_000,
      200,
    );
    ips.push(status.status?.podIP ?? "");
  }
  const logins = loginsByAddress(sandbox);
  expect(ips.map((ip) => logins.get(ip))).toEqual([1, 1, 1]);
});
