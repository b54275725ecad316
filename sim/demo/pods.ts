/**
 * The demo's sample pods: which to create (team-a and team-b asking for roles the allow-list grants, one team-c pod
 * asking for one it does not), creating them through the API server as `kubectl apply` would, and reading their state
 * the way a user would check: the token file in the pod's volume and the Events on the pod.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Sandbox } from "../sandbox/index.ts";
import { ApiCaller } from "../sandbox/provision.ts";
import { samplePod } from "../sandbox/workloads.ts";

export interface DemoPod {
  namespace: string;
  name: string;
  role: string;
  allowed: boolean;
  createdAt?: number;
  servedAt?: number;
  token?: string;
}

/** What the token file says, as an app reading it would see it (the token itself stays in memory only). */
export interface TokenFileView {
  clientToken: string;
  leaseDurationSeconds: number;
  writtenAtMs: number;
}

export interface PodEvent {
  reason: string;
  type: string;
  message: string;
}

const TOKEN_VOLUME = "vault-token";
const TOKEN_FILE = "vault-token";

/** `count` pods: count-1 allowed ones alternating team-a/team-b and demo-app/demo-batch, then the refused one. */
export function planPods(count: number): DemoPod[] {
  const allowed = Array.from({ length: count - 1 }, (_, i): DemoPod => {
    const inTeamA = i % 2 === 0;
    return {
      namespace: inTeamA ? "team-a" : "team-b",
      name: `web-${String(i + 1).padStart(2, "0")}`,
      role: inTeamA || i % 4 === 1 ? "demo-app" : "demo-batch",
      allowed: true,
    };
  });
  // team-c may use no role at all (sim/sandbox/provision.ts SANDBOX_ALLOW_LIST).
  return [...allowed, { namespace: "team-c", name: "intruder", role: "demo-app", allowed: false }];
}

export class PodTracker {
  private readonly kube: ApiCaller;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly initBinary: string,
    private readonly options: { sidecar?: boolean } = {},
  ) {
    const d = sandbox.description;
    this.kube = new ApiCaller(d.kubernetes.server, sandbox.kube.caPem, {
      authorization: `Bearer ${d.kubernetes.token}`,
    });
  }

  async create(pod: DemoPod, now: number): Promise<void> {
    const manifest = samplePod(this.sandbox.description, {
      namespace: pod.namespace,
      name: pod.name,
      role: pod.role,
      initCommand: [this.initBinary],
      ...(this.options.sidecar ? { sidecar: true } : {}),
    });
    pod.createdAt = now;
    await this.kube.call("POST", `/api/v1/namespaces/${pod.namespace}/pods`, manifest);
  }

  /** The client token from the pod's token file, once the init has written it. */
  tokenOf(pod: DemoPod): string | undefined {
    return this.tokenFile(pod)?.clientToken;
  }

  /** The token file's token, lease and write time; undefined while there is none (or it is mid-replace). */
  tokenFile(pod: DemoPod): TokenFileView | undefined {
    const volume = this.sandbox.kubelet.volumeDirFor(pod.namespace, pod.name, TOKEN_VOLUME);
    if (!volume) return undefined;
    try {
      const path = join(volume, TOKEN_FILE);
      const writtenAtMs = statSync(path).mtimeMs;
      const parsed = JSON.parse(readFileSync(path, "utf8")) as {
        clientToken?: unknown;
        leaseDuration?: unknown;
      } | null;
      const token = parsed?.clientToken;
      if (typeof token !== "string" || token.length === 0) return undefined;
      const lease = typeof parsed?.leaseDuration === "number" ? parsed.leaseDuration : 0;
      return { clientToken: token, leaseDurationSeconds: lease, writtenAtMs };
    } catch {
      return undefined;
    }
  }

  async delete(pod: DemoPod): Promise<void> {
    await this.kube.call("DELETE", `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`);
  }

  /** Marks newly served pods; returns how many changed. */
  refresh(pods: DemoPod[], now: number): number {
    let changed = 0;
    for (const pod of pods) {
      if (pod.token || pod.createdAt === undefined) continue;
      const token = this.tokenOf(pod);
      if (token) {
        pod.token = token;
        pod.servedAt = now;
        changed++;
      }
    }
    return changed;
  }

  async events(pod: DemoPod): Promise<PodEvent[]> {
    const selector = encodeURIComponent(`involvedObject.name=${pod.name}`);
    const list = await this.kube.call(
      "GET",
      `/api/v1/namespaces/${pod.namespace}/events?fieldSelector=${selector}`,
    );
    const items = Array.isArray(list.items) ? (list.items as Record<string, unknown>[]) : [];
    return items.map((item) => ({
      reason: String(item.reason ?? ""),
      type: String(item.type ?? ""),
      message: String(item.message ?? ""),
    }));
  }

  /** Vault's auth/token/lookup-self with the pod's own token: true when Vault accepts it. */
  async vaultAccepts(token: string): Promise<boolean> {
    return (await this.vaultTtl(token)) !== undefined;
  }

  /** The token's remaining TTL in seconds as Vault's lookup-self says; undefined when Vault refuses the token. */
  async vaultTtl(token: string): Promise<number | undefined> {
    const d = this.sandbox.description;
    const vault = new ApiCaller(`${d.vault.addr}/v1/`, this.sandbox.vault.caPem, { "X-Vault-Token": token });
    const response = await vault.fetch(`${vault.base}auth/token/lookup-self`, {
      headers: { "X-Vault-Token": token },
    });
    const text = await response.text();
    if (!response.ok) return undefined;
    const ttl = (JSON.parse(text) as { data?: { ttl?: unknown } }).data?.ttl;
    return typeof ttl === "number" ? ttl : 0;
  }
}
