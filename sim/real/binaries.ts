/**
 * The real servers' executables: built (or reused) by scripts/real-servers.sh from their Go modules, cached by
 * version outside the repo. A server that cannot be built is an error naming it and why (the build log's tail),
 * never a skipped test.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export interface RealServerBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  vault: string;
}

const SCRIPT = resolve(import.meta.dirname ?? ".", "../../scripts/real-servers.sh");
const KEYS: Record<string, keyof RealServerBinaries> = {
  KV_ETCD: "etcd",
  KV_KUBE_APISERVER: "kubeApiserver",
  KV_KUBE_CONTROLLER_MANAGER: "kubeControllerManager",
  KV_KUBECTL: "kubectl",
  KV_VAULT: "vault",
};

let cached: RealServerBinaries | undefined;

/** Builds what is missing (minutes when cold; see README) and returns the absolute paths. */
export function realServerBinaries(): RealServerBinaries {
  if (cached) return cached;
  const run = spawnSync("bash", [SCRIPT, "--print-env"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (run.status !== 0)
    throw new Error(
      `the real servers could not be built (scripts/real-servers.sh exited ${run.status}):\n${run.stderr.slice(-4000)}\n` +
        "They need Go >= 1.26 at /usr/local/go (or on PATH) and the Go module proxy; see README 'Real servers'.",
    );
  const found: Partial<RealServerBinaries> = {};
  for (const line of run.stdout.split("\n")) {
    const [name, path] = line.split("=", 2);
    const key = name ? KEYS[name] : undefined;
    if (key && path) found[key] = path;
  }
  for (const key of Object.values(KEYS)) {
    const path = found[key];
    if (!path || !existsSync(path))
      throw new Error(`scripts/real-servers.sh reported no usable ${key} binary (${path ?? "no path"})`);
  }
  cached = found as RealServerBinaries;
  return cached;
}
