/**
 * Three compiled controllers replicated by Raft, against the real kube-apiserver and Vault: SIGKILL of the leader
 * in the middle of a burst of pods loses no pod and serves none twice (one AppRole login per pod address, read from
 * Vault's own audit log). Pods are fleet pods (lib/init in one process, sim/fleet), as in tests/raft-e2e.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, startFleet } from "../../sim/fleet/index.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { type ControllerCluster, deliveries, startControllerCluster } from "../raft-e2e/controllers.ts";
import { createPod, kubeApi, loginsByAddress, podStatus, served } from "../raft-e2e/pods.ts";
import { compiledBinary } from "../support/binaries.ts";
import { killAllStarted } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

setDefaultTimeout(600_000);

const BURST = 80;
const KILL_AT = 25;
let sandbox: Sandbox;
let fleet: Fleet;
let cluster: ControllerCluster;
let kube: ApiCaller;

beforeAll(async () => {
  compiledBinary("init");
  compiledBinary("controller");
  const dir = mkdtempSync(join(tmpdir(), "kv-real-leader-kill-"));
  sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: "127.65",
    initRestartBackoffMs: 500,
    backend: "real",
  });
  fleet = await startFleet({
    server: sandbox.kube.server,
    caPem: sandbox.kube.caPem,
    token: sandbox.kube.token,
    podsDir: join(dir, "fleet-pods"),
    podIpPrefix: "127.66",
    restartBackoffBaseMs: 500,
  });
  kube = kubeApi(sandbox);
  cluster = await startControllerCluster(sandbox.description, join(dir, "controllers"), {
    count: 3,
    addressPrefix: "127.0.65",
  });
});

afterAll(async () => {
  await cluster?.stop();
  await fleet?.stop();
  await sandbox?.stop();
  killAllStarted();
});

test(`SIGKILL of the leader during a burst of ${BURST} pods: every pod served, none logged in twice`, async () => {
  const leader = await cluster.leader();
  const names = Array.from({ length: BURST }, (_, i) => `real-burst-${i}`);
  let killedAt = 0;
  for (const [i, name] of names.entries()) {
    await createPod(sandbox, kube, name, fleet.nodeName);
    if (i === KILL_AT) {
      killedAt = Date.now();
      await leader.kill();
    }
  }
  const pods = await waitFor(
    `all ${BURST} burst pods served`,
    async () => {
      const all = await Promise.all(names.map((name) => podStatus(kube, name)));
      return all.every(served) ? all : undefined;
    },
    300_000,
    1_000,
  );
  const logins = loginsByAddress(sandbox);
  const notOnce = names
    .map((name, i) => ({ name, logins: logins.get(String(pods[i]?.status?.podIP)) ?? 0 }))
    .filter((pod) => pod.logins !== 1);
  expect(notOnce).toEqual([]);
  const survivors = cluster.replicas.filter((replica) => replica !== leader);
  expect(
    survivors.some((replica) => deliveries(replica).some((line) => Date.parse(line.time) > killedAt)),
  ).toBe(true);
});
