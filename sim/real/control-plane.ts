/**
 * etcd plus the Kubernetes control plane alone (no Vault), for tests that need only the real API server, such as
 * the server-side dry-run of every overlay.
 */
import { mkdir } from "node:fs/promises";
import { realServerBinaries } from "./binaries.ts";
import { type Etcd, startEtcd } from "./etcd.ts";
import { type RealKube, startRealKube } from "./kube.ts";

export interface ControlPlane {
  etcd: Etcd;
  kube: RealKube;
  kubectl: string;
  stop(): Promise<void>;
}

export async function startControlPlane(
  dir: string,
  host = "127.0.0.1",
  /** The port clients use (the API server's relay); 0 picks a free one. */
  kubePort = 0,
): Promise<ControlPlane> {
  const binaries = realServerBinaries();
  await mkdir(dir, { recursive: true });
  const etcd = await startEtcd(binaries.etcd, dir, host);
  try {
    const kube = await startRealKube(binaries, etcd, dir, host, kubePort);
    return {
      etcd,
      kube,
      kubectl: binaries.kubectl,
      async stop() {
        await kube.stop();
        await etcd.stop();
      },
    };
  } catch (error) {
    await etcd.stop();
    throw error;
  }
}
