/**
 * The leader SIGKILL burst shared by tests/raft-e2e (stand-ins) and tests/e2e-real (real servers): fleet pods are
 * created one after another, the leader is SIGKILLed after `killAt` of them, and then every pod must be served with
 * exactly one AppRole login from its address (Vault's own record), and a survivor must have delivered after the kill.
 */
import { expect } from "bun:test";
import type { Fleet } from "../../sim/fleet/index.ts";
import type { Sandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { waitFor } from "../support/wait.ts";
import { type ControllerCluster, type ControllerReplica, deliveries } from "./controllers.ts";
import { createPod, loginsByAddress, podStatus, served } from "./pods.ts";

export interface LeaderKillBurst {
  sandbox: Sandbox;
  kube: ApiCaller;
  fleet: Fleet;
  cluster: ControllerCluster;
  /** The replica to kill: the acting leader, found by the caller (which may have to restart it, whatever happens). */
  leader: ControllerReplica;
  names: string[];
  killAt: number;
  servedWithinMs: number;
}

export async function leaderKillBurst(burst: LeaderKillBurst): Promise<void> {
  const { sandbox, kube, fleet, cluster, leader, names } = burst;
  let killedAt = 0;
  for (const [i, name] of names.entries()) {
    await createPod(sandbox, kube, name, fleet.nodeName);
    if (i === burst.killAt) {
      killedAt = Date.now();
      await leader.kill();
    }
  }
  const pods = await waitFor(
    `all ${names.length} burst pods served`,
    async () => {
      const all = await Promise.all(names.map((name) => podStatus(kube, name)));
      return all.every(served) ? all : undefined;
    },
    burst.servedWithinMs,
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
}
