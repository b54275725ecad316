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
import { type Etcd, startEtcd } from "./etcd.ts";
import { type RealKube, startRealKube } from "./kube.ts";
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
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    // Vault and etcd do not depend on each other: start both before the API server, which waits for etcd. Both are
    // awaited whatever happens, so one that starts while the other fails is still stopped.
    const [vaultStart, etcdStart] = await Promise.allSettled([
      startRealVault(binaries.vault, dir, host, ports.vault ?? 0),
      startEtcd(binaries.etcd, dir, host),
    ]);
    for (const started of [vaultStart, etcdStart])
      if (started.status === "fulfilled") stops.push(() => started.value.stop());
    if (vaultStart.status === "rejected") throw vaultStart.reason;
    if (etcdStart.status === "rejected") throw etcdStart.reason;
    const vault = vaultStart.value;
    const etcd = etcdStart.value;
    const kube = await startRealKube(binaries, etcd, dir, host, ports.kube ?? 0);
    stops.push(() => kube.stop());
    return { binaries, etcd, kube, vault, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
