/**
 * loadKubeConfig(): how the controller reaches the API server, as a client-node KubeConfig.
 *
 * Contract:
 * - `kubeconfigPath` set (KUBECONFIG, development): that file, its current context.
 * - Otherwise in-cluster service-account auth: `<serviceAccountDir>/token` (client-node re-reads it every minute, as
 *   client-go does, because bound service-account tokens rotate), `<serviceAccountDir>/ca.crt` as the only trust
 *   anchor, and the server from KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT.
 * - Every problem is a KubeConfigError naming the file or variable and how to fix it; the token is never echoed.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

/** Where the kubelet mounts a pod's service-account credentials. */
export const DEFAULT_SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeAccessOptions {
  kubeconfigPath?: string;
  /** Tests point this at a temp dir holding `token`, `ca.crt` and optionally `namespace`. */
  serviceAccountDir?: string;
  env?: Record<string, string | undefined>;
}

export class KubeConfigError extends Error {
  constructor(
    readonly source: string,
    problem: string,
    fix: string,
  ) {
    super(`${source}: ${problem}; ${fix}`);
    this.name = "KubeConfigError";
  }
}

function requireReadable(file: string, what: string, fix: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new KubeConfigError(file, `cannot read the ${what}`, fix);
  }
}

function fromKubeconfigFile(file: string): KubeConfig {
  requireReadable(file, "kubeconfig file named by KUBECONFIG", "point KUBECONFIG at a readable kubeconfig");
  const config = new KubeConfig();
  try {
    config.loadFromFile(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KubeConfigError(file, `not a valid kubeconfig (${reason})`, "fix the file or unset KUBECONFIG");
  }
  if (!config.getCurrentCluster())
    throw new KubeConfigError(
      file,
      "its current context names no cluster",
      "set current-context to a context with a cluster",
    );
  return config;
}

function inClusterServer(env: Record<string, string | undefined>): string {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const fix = "run inside a pod (the kubelet sets it) or set KUBECONFIG for development";
  if (!host) throw new KubeConfigError("KUBERNETES_SERVICE_HOST", "is not set", fix);
  if (!port || !/^\d{1,5}$/.test(port))
    throw new KubeConfigError(
      "KUBERNETES_SERVICE_PORT",
      port ? `"${port}" is not a port number` : "is not set",
      fix,
    );
  return `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

function fromServiceAccount(dir: string, env: Record<string, string | undefined>): KubeConfig {
  const server = inClusterServer(env);
  const caFile = path.join(dir, "ca.crt");
  const tokenFile = path.join(dir, "token");
  const mountFix = "mount the pod's service-account token (automountServiceAccountToken) or set KUBECONFIG";
  requireReadable(caFile, "service-account CA certificate", mountFix);
  requireReadable(tokenFile, "service-account token", mountFix);
  if (readFileSync(tokenFile, "utf8").trim() === "")
    throw new KubeConfigError(tokenFile, "the service-account token is empty", mountFix);
  const config = new KubeConfig();
  config.loadFromClusterAndUser(
    { name: "inCluster", server, caFile, skipTLSVerify: false },
    { name: "inClusterUser", authProvider: { name: "tokenFile", config: { tokenFile } } },
  );
  return config;
}

export function loadKubeConfig(options: KubeAccessOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  if (options.kubeconfigPath) return fromKubeconfigFile(options.kubeconfigPath);
  return fromServiceAccount(options.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR, env);
}
