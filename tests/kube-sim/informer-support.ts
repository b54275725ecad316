/**
 * Shared by the informer tests: writes the service-account files a pod would have
 * (`<root>/var/run/secrets/kubernetes.io/serviceaccount/{ca.crt,token,namespace}`) for the API stand-in.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { KubeApiSim } from "../../sim/kube/index.ts";

export const SERVICE_ACCOUNT_DIR = "var/run/secrets/kubernetes.io/serviceaccount";

export async function writeServiceAccount(sim: KubeApiSim, root: string, namespace = "default") {
  const dir = path.join(root, SERVICE_ACCOUNT_DIR);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "ca.crt"), sim.caPem);
  await writeFile(path.join(dir, "token"), sim.token);
  await writeFile(path.join(dir, "namespace"), namespace);
  return { caFile: path.join(dir, "ca.crt"), tokenFile: path.join(dir, "token") };
}
