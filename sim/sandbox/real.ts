/**
 * The sandbox's real backend (`bun run sandbox --real`): sim/real's servers in place of the Vault and Kubernetes
 * stand-ins, provisioned the same way, plus what a real cluster has that the stand-in lacks:
 * - the rendered kustomize/base applied with kubectl (namespace, ServiceAccount, RBAC, Service, Deployment, PDB),
 *   so the controller runs with exactly the manifests' permissions;
 * - the controller's in-cluster token is a TokenRequest token of the base's ServiceAccount, not the admin's.
 * (The sample pods' ServiceAccounts are provision.ts's, for both backends.)
 *
 * The test hooks keep their meaning: `cutWatches()` drops every client connection at the relay in front of the API
 * server; `compactAll()` compacts etcd and restarts the API server, after which its watch cache starts at the new
 * revision and a watch from any older resourceVersion gets the real 410 Gone; `vault.setOnline()` stops and starts
 * the Vault process (and unseals it).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { type RealServers, startRealServers } from "../real/index.ts";
import { ApiCaller, CONTROLLER_NAMESPACE } from "./provision.ts";

const CONTROLLER_SERVICE_ACCOUNT = "kubernetes-vault";
const BASE_DIR = resolve(import.meta.dirname ?? ".", "../../kustomize/base");
/** The controller's token lives as long as a sandbox session reasonably does; it is not refreshed. */
const CONTROLLER_TOKEN_SECONDS = 7 * 24 * 3600;

export interface KubectlTarget {
  kubectl: string;
  kubeconfig: string;
}

/**
 * Runs the real kubectl against `target`. Asynchronous on purpose: the relay in front of the API server lives in
 * this process, so a synchronous child would stall the very connection it waits on.
 */
export function kubectl(target: KubectlTarget, args: string[], input?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(target.kubectl, ["--kubeconfig", target.kubeconfig, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new Error(`kubectl ${args.join(" ")} exited ${code}: ${(stderr || stdout).slice(-2000)}`));
    });
    child.stdin.end(input ?? "");
  });
}

/** Renders kustomize/base with the real kubectl and applies it; returns the rendered YAML. */
export async function applyBase(servers: RealServers): Promise<string> {
  const target = { kubectl: servers.binaries.kubectl, kubeconfig: servers.kube.adminKubeconfigPath };
  const rendered = await kubectl(target, ["kustomize", BASE_DIR]);
  await kubectl(target, ["apply", "-f", "-"], rendered);
  return rendered;
}

/** A TokenRequest token for the controller's ServiceAccount, as the kubelet projects into its pod. */
export async function controllerServiceAccountToken(kube: ApiCaller): Promise<string> {
  const answer = await kube.call(
    "POST",
    `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/serviceaccounts/${CONTROLLER_SERVICE_ACCOUNT}/token`,
    {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: CONTROLLER_TOKEN_SECONDS },
    },
  );
  const token = (answer.status as { token?: unknown } | undefined)?.token;
  if (typeof token !== "string" || token === "")
    throw new Error("the TokenRequest answer carried no status.token");
  return token;
}

export async function provisionRealKubernetes(servers: RealServers): Promise<{ controllerToken: string }> {
  const kube = new ApiCaller(servers.kube.server, servers.kube.caPem, {
    authorization: `Bearer ${servers.kube.token}`,
  });
  await applyBase(servers);
  return { controllerToken: await controllerServiceAccountToken(kube) };
}

export { startRealServers };
