/**
 * The real servers behind `bun run sandbox --real`: etcd, kube-apiserver and kube-controller-manager (k8s.io/kubernetes)
 * and a Vault server, built from their Go modules by scripts/real-servers.sh. See README.md here for the flags and
 * what differs from the stand-ins.
 *
 * Contract: everything listens on loopback; `stop()` stops every process by its pid (controller-manager, API server,
 * etcd, Vault), also after a failed start.
 */
import { mkdir } from "node:fs/promises";
import { type RealServerBinaries, realServerBinaries } from "./binaries.ts";
import { startControlPlane } from "./control-plane.ts";
import type { Etcd } from "./etcd.ts";
import type { RealKube } from "./kube.ts";
import { type RealVault, startRealVault } from "./vault.ts";

export type { RealServerBinaries } from "./binaries.ts";
export { realServerBinaries } from "./binaries.ts";
export type { RealKube } from "./kube.ts";
export type { RealVault } from "./vault.ts";

export interface RealServers {
  binaries: RealServerBinaries;
  etcd: Etcd;
  kube: RealKube;
  vault: RealVault;
  stop(): Promise<void>;
}

export interface RealServerPorts {
  /** 0 or absent: a free port. */
  vault?: number;
  kube?: number;
}

export async function startRealServers(
  dir: string,
  host = "127.0.0.1",
  ports: RealServerPorts = {},
): Promise<RealServers> {
  const binaries = realServerBinaries();
  await mkdir(dir, { recursive: true });
  // Vault and the control plane do not depend on each other, so they start side by side; both are awaited whatever
  // happens, so one that starts while the other fails is still stopped.
  const [vaultStart, planeStart] = await Promise.allSettled([
    startRealVault(binaries.vault, dir, host, ports.vault ?? 0),
    startControlPlane(dir, host, ports.kube ?? 0),
  ]);
  if (vaultStart.status === "rejected" || planeStart.status === "rejected") {
    for (const started of [planeStart, vaultStart])
      if (started.status === "fulfilled") await started.value.stop().catch(() => {});
    throw vaultStart.status === "rejected" ? vaultStart.reason : (planeStart as PromiseRejectedResult).reason;
  }
  const vault = vaultStart.value;
  const plane = planeStart.value;
  return {
    binaries,
    etcd: plane.etcd,
    kube: plane.kube,
    vault,
    async stop() {
      await plane.stop().catch(() => {});
      await vault.stop().catch(() => {});
    },
  };
}
