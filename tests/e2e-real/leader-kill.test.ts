/**
 * Three compiled controllers replicated by Raft, against the real kube-apiserver and Vault: SIGKILL of the leader
 * in the middle of a burst of pods loses no pod and serves none twice (one AppRole login per pod address, read from
 * Vault's own audit log). Pods are fleet pods (lib/init in one process, sim/fleet), as in tests/raft-e2e, whose rig
 * and burst this file shares.
 */
import { afterAll, beforeAll, setDefaultTimeout, test } from "bun:test";
import { leaderKillBurst } from "../raft-e2e/leader-kill-burst.ts";
import { type RaftRig, startRaftRig } from "../raft-e2e/rig.ts";
import { killAllStarted } from "../support/processes.ts";

setDefaultTimeout(600_000);

const BURST = 80;
const KILL_AT = 25;
let rig: RaftRig;

beforeAll(async () => {
  rig = await startRaftRig({
    name: "kv-real-leader-kill",
    backend: "real",
    podIpPrefix: "127.65",
    fleetPodIpPrefix: "127.66",
    controllerPrefix: "127.0.65",
  });
});

afterAll(async () => {
  await rig?.stop();
  killAllStarted();
});

test(`SIGKILL of the leader during a burst of ${BURST} pods: every pod served, none logged in twice`, async () => {
  const names = Array.from({ length: BURST }, (_, i) => `real-burst-${i}`);
  const leader = await rig.cluster.leader();
  await leaderKillBurst({ ...rig, leader, names, killAt: KILL_AT, servedWithinMs: 300_000 });
});
