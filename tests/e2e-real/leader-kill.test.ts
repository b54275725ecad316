/**
 * Three compiled controllers replicated by Raft, against the real kube-apiserver and Vault: SIGKILL of the leader
 * in the middle of a burst of pods loses no pod and serves none twice (one AppRole login per pod address, read from
 * Vault's own audit log). Pods are fleet pods (lib/init in one process, sim/fleet), as in tests/raft-e2e.
 */
import { afterAll, beforeAll, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, startFleet } from "../../sim/fleet/index.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { type ControllerCluster, startControllerCluster } from "../raft-e2e/controllers.ts";
import { leaderKillBurst } from "../raft-e2e/leader-kill-burst.ts";
import { kubeApi } from "../raft-e2e/pods.ts";
import { compiledBinary } from "../support/binaries.ts";
import { killAllStarted } from "../support/processes.ts";

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
  const names = Array.from({ length: BURST }, (_, i) => `real-burst-${i}`);
  const leader = await cluster.leader();
  await leaderKillBurst({
    sandbox,
    kube,
    fleet,
    cluster,
    leader,
    names,
    killAt: KILL_AT,
    servedWithinMs: 300_000,
  });
});
