/**
 * Provisions the sandbox the way an operator would provision a real Vault and cluster: through their HTTP APIs
 * only (the same calls `vault` and `kubectl` make), so provisioning also exercises the stand-ins' fidelity.
 * The Vault half mirrors docs/quick-start.md step by step.
 */
import { createHttpClient, type HttpFetch } from "../../lib/runtime/index.ts";

export const CONTROLLER_POLICY = "kubernetes-vault";
export const CONTROLLER_TOKEN_ROLE = "kubernetes-vault";
export const PKI_MOUNT = "pki";
export const PKI_ROLE = "kubernetes-vault";
export const CONTROLLER_NAMESPACE = "kubernetes-vault";
export const CONTROLLER_SERVICE = "kubernetes-vault";
/** Roles the controller policy covers, and one (unlisted-app) it deliberately does not, to show Vault's 403 on a pod. */
export const SAMPLE_ROLES = ["demo-app", "demo-batch", "unlisted-app"] as const;
export const SAMPLE_NAMESPACES = ["team-a", "team-b", "team-c"] as const;
/**
 * The sample pods' ServiceAccounts beyond each namespace's `default`: a real API server (and the stand-in, as it)
 * refuses a pod whose ServiceAccount does not exist.
 */
export const SAMPLE_SERVICE_ACCOUNTS: readonly { namespace: string; name: string }[] = [
  { namespace: "team-a", name: "web" },
];
/** team-c may ask for nothing: its pods show the allow-list refusal. */
export const SANDBOX_ALLOW_LIST = "team-a: demo-app, unlisted-app\nteam-b: demo-app, demo-batch\n";

export const CONTROLLER_POLICY_HCL = `# What the kubernetes-vault controller needs, and nothing more.
# Vault globs only at the end of a path, so each role is named (or use "+" for one whole segment).
path "auth/approle/role/demo-app/secret-id" {
  capabilities = ["update"]
}
path "auth/approle/role/demo-batch/secret-id" {
  capabilities = ["update"]
}
path "${PKI_MOUNT}/issue/${PKI_ROLE}" {
  capabilities = ["update"]
}
path "${PKI_MOUNT}/cert/ca" {
  capabilities = ["read"]
}
path "auth/token/roles/${CONTROLLER_TOKEN_ROLE}" {
  capabilities = ["read"]
}
path "auth/token/revoke-accessor" {
  capabilities = ["update"]
}
`;

export interface ProvisionedVault {
  controllerToken: string;
  controllerTokenAccessor: string;
  roleIds: Record<string, string>;
  pkiCaPem: string;
}

type Json = Record<string, unknown>;

export class ApiCaller {
  readonly fetch: HttpFetch;
  constructor(
    readonly base: string,
    caPem: string,
    private readonly authHeader: Record<string, string>,
  ) {
    // A connection per call: the real backend's cutWatches() drops every connection at its relay, as a network
    // blip does, and an idle pooled one would then fail the next call with "socket hang up".
    this.fetch = createHttpClient({
      trust: { kind: "ca", caPem },
      timeoutMs: 30_000,
      keepAlive: false,
    }).fetch;
  }

  async call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Json> {
    const response = await this.fetch(`${this.base}${path}`, {
      method,
      headers: { ...this.authHeader, ...(body === undefined ? {} : { "content-type": contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
    return text ? (JSON.parse(text) as Json) : {};
  }
}

function field(object: Json, ...path: string[]): unknown {
  let value: unknown = object;
  for (const key of path) value = (value as Json | undefined)?.[key];
  return value;
}

export async function provisionVault(
  addr: string,
  caPem: string,
  rootToken: string,
): Promise<ProvisionedVault> {
  const vault = new ApiCaller(`${addr}/v1/`, caPem, { "X-Vault-Token": rootToken });
  await vault.call("POST", "sys/auth/approle", { type: "approle" });
  await vault.call("POST", `sys/mounts/${PKI_MOUNT}`, { type: "pki", config: { max_lease_ttl: "87600h" } });
  await vault.call("POST", `${PKI_MOUNT}/root/generate/internal`, {
    common_name: "kubernetes-vault sandbox CA",
    ttl: "87600h",
  });
  await vault.call("POST", `${PKI_MOUNT}/roles/${PKI_ROLE}`, {
    allow_any_name: true,
    allow_ip_sans: true,
    allow_localhost: true,
    server_flag: true,
    client_flag: true,
    max_ttl: "72h",
    ttl: "24h",
  });
  const pkiCaPem = String(field(await vault.call("GET", `${PKI_MOUNT}/cert/ca`), "data", "certificate"));
  await vault.call("PUT", `sys/policies/acl/${CONTROLLER_POLICY}`, { policy: CONTROLLER_POLICY_HCL });
  await vault.call("POST", `auth/token/roles/${CONTROLLER_TOKEN_ROLE}`, {
    allowed_policies: [CONTROLLER_POLICY],
    orphan: true,
    period: "24h",
    renewable: true,
  });
  const created = await vault.call("POST", `auth/token/create/${CONTROLLER_TOKEN_ROLE}`, {
    policies: [CONTROLLER_POLICY],
  });
  const roleIds: Record<string, string> = {};
  for (const role of SAMPLE_ROLES) {
    await vault.call("PUT", `sys/policies/acl/${role}`, {
      policy: `path "secret/data/${role}/*" {\n  capabilities = ["read"]\n}\n`,
    });
    await vault.call("POST", `auth/approle/role/${role}`, {
      token_policies: [role],
      token_ttl: "1h",
      token_max_ttl: "4h",
      secret_id_num_uses: 1,
      secret_id_ttl: "10m",
    });
    roleIds[role] = String(
      field(await vault.call("GET", `auth/approle/role/${role}/role-id`), "data", "role_id"),
    );
  }
  return {
    controllerToken: String(field(created, "auth", "client_token")),
    controllerTokenAccessor: String(field(created, "auth", "accessor")),
    roleIds,
    pkiCaPem,
  };
}

/** Creates a ServiceAccount; one that exists already is fine (provisioning may run against a kept cluster). */
export async function createServiceAccount(kube: ApiCaller, namespace: string, name: string): Promise<void> {
  await kube
    .call("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name },
    })
    .catch((error: Error) => {
      if (!/-> 409/.test(error.message)) throw error;
    });
}

const DEFAULT_ACCOUNT_DEADLINE_MS = 30_000;
const DEFAULT_ACCOUNT_POLL_MS = 50;

/**
 * Waits for the namespace's `default` ServiceAccount: kube-controller-manager creates it within a second of the
 * namespace on a real cluster (the stand-in at once), and until then the ServiceAccount admission plugin refuses
 * pods that run as it.
 */
async function defaultServiceAccount(kube: ApiCaller, namespace: string): Promise<void> {
  const until = Date.now() + DEFAULT_ACCOUNT_DEADLINE_MS;
  for (;;) {
    try {
      await kube.call("GET", `/api/v1/namespaces/${namespace}/serviceaccounts/default`);
      return;
    } catch (error) {
      if (Date.now() > until)
        throw new Error(`namespace ${namespace} got no default ServiceAccount: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, DEFAULT_ACCOUNT_POLL_MS));
  }
}

export async function provisionKubernetes(server: string, caPem: string, token: string): Promise<void> {
  const kube = new ApiCaller(server, caPem, { authorization: `Bearer ${token}` });
  for (const name of [CONTROLLER_NAMESPACE, ...SAMPLE_NAMESPACES]) {
    await kube.call("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
  }
  for (const name of SAMPLE_NAMESPACES) await defaultServiceAccount(kube, name);
  for (const account of SAMPLE_SERVICE_ACCOUNTS)
    await createServiceAccount(kube, account.namespace, account.name);
  // In place of the controller's headless Service (the stand-in has no Services): the placeholder EndpointSlice the
  // EndpointSlice controller keeps for a Service with no endpoints. endpoints.ts fills it as replicas come and go.
  await kube.call("POST", `/apis/discovery.k8s.io/v1/namespaces/${CONTROLLER_NAMESPACE}/endpointslices`, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { generateName: `${CONTROLLER_SERVICE}-`, labels: controllerSliceLabels() },
    addressType: "IPv4",
    endpoints: [],
  });
}

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";

/** The labels the EndpointSlice controller puts on each slice of the controller's headless Service. */
export function controllerSliceLabels(): Record<string, string> {
  return {
    [SERVICE_NAME_LABEL]: CONTROLLER_SERVICE,
    [MANAGED_BY_LABEL]: "endpointslice-controller.k8s.io",
    "service.kubernetes.io/headless": "",
  };
}
