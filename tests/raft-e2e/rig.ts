/**
 * The replicated-controller rig shared by tests/raft-e2e and tests/e2e-real: a sandbox (stand-ins or real servers),
 * a fleet node for pods (lib/init in one process, sim/fleet) and three compiled controllers with RAFT_PEERS. Each
 * caller gives its own loopback blocks, so files never collide. `stop()` resumes SIGSTOPped replicas, then stops the
 * controllers, the fleet and the sandbox, each by pid.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, startFleet } from "../../sim/fleet/index.ts";
import { type Sandbox, type SandboxBackend, startSandbox } from "../../sim/sandbox/index.ts";
import type { ApiCaller } from "../../sim/sandbox/provision.ts";
import { compiledBinary } from "../support/binaries.ts";
import { type ControllerCluster, startControllerCluster } from "./controllers.ts";
import { kubeApi } from "./pods.ts";

export interface RaftRigOptions {
  name: string;
  backend?: SandboxBackend;
  /** Two octets each: the kubelet stand-in's pods, the fleet's pods. */
  podIpPrefix: string;
  fleetPodIpPrefix: string;
  /** Three octets: controller n listens on <prefix>.<n+1>. */
  controllerPrefix: string;
  /** Added to every controller's environment (e.g. SIDECAR_REISSUE_MARGIN). */
  controllerEnv?: Record<string, string>;
}

export interface RaftRig {
  sandbox: Sandbox;
  fleet: Fleet;
  cluster: ControllerCluster;
  kube: ApiCaller;
  stop(): Promise<void>;
}

export async function startRaftRig(options: RaftRigOptions): Promise<RaftRig> {
  // Compiled before anything starts, so a compile never eats into a start-up deadline.
  compiledBinary("init");
  compiledBinary("controller");
  const dir = mkdtempSync(join(tmpdir(), `${options.name}-`));
  const sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: options.podIpPrefix,
    initRestartBackoffMs: 500,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const fleet = await startFleet({
    server: sandbox.kube.server,
    caPem: sandbox.kube.caPem,
    token: sandbox.kube.token,
    podsDir: join(dir, "fleet-pods"),
    podIpPrefix: options.fleetPodIpPrefix,
    restartBackoffBaseMs: 500,
  });
  const cluster = await startControllerCluster(sandbox.description, join(dir, "controllers"), {
    count: 3,
    addressPrefix: options.controllerPrefix,
    ...(options.controllerEnv ? { extraEnv: options.controllerEnv } : {}),
  });
  return {
    sandbox,
    fleet,
    cluster,
    kube: kubeApi(sandbox),
    async stop() {
      for (const replica of cluster.replicas) {
        try {
          replica.process().signal("SIGCONT");
        } catch {
          // never started
        }
      }
      await cluster.stop();
      await fleet.stop();
      await sandbox.stop();
    },
  };
}
