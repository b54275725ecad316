// What issue 7 promises about the rendered manifests, checked on kustomize's output for every kustomization:
// hardened containers (non-root, read-only root, no capabilities, seccomp RuntimeDefault), RBAC with exactly the
// minimum verbs (cluster-wide only what pods in every namespace need), and the controller's shape (3 replicas spread
// out, a quorum-keeping PDB, probes, resources, secrets from a Secret, the rest from a ConfigMap, RAFT_DIR on an
// emptyDir).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  allContainers,
  type Container,
  controllerOf,
  type KubeObject,
  kustomizations,
  only,
  render,
  type SecurityContext,
  type Workload,
} from "./support/manifests.ts";

setDefaultTimeout(120_000);

/** Every way a container falls short of the hardened baseline, with the effective (container over pod) settings. */
function hardeningProblems(workload: Workload, container: Container): string[] {
  const pod: SecurityContext = workload.spec.template.spec.securityContext ?? {};
  const own: SecurityContext = container.securityContext ?? {};
  const where = `${workload.metadata.name}/${container.name}`;
  const problems: string[] = [];
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
  const uid = own.runAsUser ?? pod.runAsUser;
  if (uid === undefined || uid === 0) problems.push(`${where}: runAsUser must be a numeric non-root uid`);
  if (own.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
  if (own.allowPrivilegeEscalation !== false)
    problems.push(`${where}: allowPrivilegeEscalation is not false`);
  if (!own.capabilities?.drop?.includes("ALL")) problems.push(`${where}: capabilities do not drop ALL`);
  if ((own.capabilities?.add ?? []).length > 0) problems.push(`${where}: adds capabilities`);
  if ((own.seccompProfile ?? pod.seccompProfile)?.type !== "RuntimeDefault")
    problems.push(`${where}: seccompProfile is not RuntimeDefault`);
  return problems;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/**
 * resource -> sorted verbs, a grouped resource named as kubectl names it (`endpointslices.discovery.k8s.io`); wildcards
 * and non-resource URLs are reported as problems.
 */
function grants(rules: Rule[]): { granted: Record<string, string[]>; problems: string[] } {
  const granted: Record<string, string[]> = {};
  const problems: string[] = [];
  for (const rule of rules) {
    if (rule.nonResourceURLs) problems.push(`non-resource URLs granted: ${rule.nonResourceURLs.join(",")}`);
    if (rule.resourceNames) problems.push(`resourceNames: ${rule.resourceNames.join(",")}`);
    for (const group of rule.apiGroups ?? []) {
      if (group.includes("*")) problems.push(`wildcard API group "${group}"`);
      for (const resource of rule.resources ?? []) {
        if (resource.includes("*")) problems.push(`wildcard resource "${resource}"`);
        const key = group ? `${resource}.${group}` : resource;
        granted[key] = [...new Set([...(granted[key] ?? []), ...(rule.verbs ?? [])])].sort();
      }
    }
    if ((rule.verbs ?? []).includes("*")) problems.push("wildcard verb");
  }
  return { granted, problems };
}

type Binding = KubeObject & {
  roleRef: { kind: string; name: string };
  subjects: unknown[];
};

describe.each(kustomizations())("kustomize/%s", (which) => {
  test("every container is hardened: non-root, read-only root, no privilege escalation, drop ALL, seccomp", async () => {
    const containers = allContainers(await render(which));
    expect(containers.length).toBeGreaterThan(0);
    expect(containers.flatMap(([workload, container]) => hardeningProblems(workload, container))).toEqual([]);
  });

  test("RBAC: pods get/list/watch and events create/patch cluster-wide, EndpointSlices get/list/watch in its own namespace only", async () => {
    const objects = await render(which);
    const { deployment } = controllerOf(objects);
    const namespace = deployment.metadata.namespace;
    const serviceAccount = {
      kind: "ServiceAccount",
      name: deployment.spec.template.spec.serviceAccountName,
      namespace,
    };
    const clusterRole = only<KubeObject & { rules: Rule[] }>(objects, "ClusterRole", "kubernetes-vault");
    expect(grants(clusterRole.rules)).toEqual({
      granted: { events: ["create", "patch"], pods: ["get", "list", "watch"] },
      problems: [],
    });
    const clusterBinding = only<Binding>(objects, "ClusterRoleBinding");
    expect(clusterBinding.roleRef).toMatchObject({ kind: "ClusterRole", name: clusterRole.metadata.name });
    expect(clusterBinding.subjects).toEqual([serviceAccount]);

    // Peer discovery reads only its own Service's slices: a Role, in the controller's namespace; no v1 Endpoints.
    const role = only<KubeObject & { rules: Rule[] }>(objects, "Role");
    expect(role.metadata.namespace).toBe(namespace);
    expect(grants(role.rules)).toEqual({
      granted: { "endpointslices.discovery.k8s.io": ["get", "list", "watch"] },
      problems: [],
    });
    const binding = only<Binding>(objects, "RoleBinding");
    expect(binding.metadata.namespace).toBe(namespace);
    expect(binding.roleRef).toMatchObject({ kind: "Role", name: role.metadata.name });
    expect(binding.subjects).toEqual([serviceAccount]);
  });

  test("the controller: 3 replicas spread across nodes, a PDB keeping a Raft quorum, probes and resources", async () => {
    const objects = await render(which);
    const { deployment, container } = controllerOf(objects);
    const spec = deployment.spec.template.spec;
    expect(deployment.spec.replicas).toBe(3);
    expect(
      (spec.topologySpreadConstraints ?? []).length > 0 || spec.affinity?.podAntiAffinity !== undefined,
    ).toBe(true);
    const pdb = only<KubeObject & { spec: { minAvailable?: number; selector: { matchLabels: unknown } } }>(
      objects,
      "PodDisruptionBudget",
    );
    expect(pdb.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBe(Math.floor((deployment.spec.replicas ?? 0) / 2) + 1);
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(container.resources?.requests?.memory).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  test("the controller: VAULT_TOKEN and CLUSTER_KEY from a Secret, the rest from a ConfigMap, RAFT_DIR on an emptyDir", async () => {
    const objects = await render(which);
    const { deployment, container } = controllerOf(objects);
    const env = new Map((container.env ?? []).map((variable) => [variable.name, variable]));
    for (const secret of ["VAULT_TOKEN", "CLUSTER_KEY"]) {
      expect(env.get(secret)?.valueFrom?.secretKeyRef?.key).toBe(secret);
      expect(env.get(secret)?.value).toBeUndefined();
    }
    const configMapName = container.envFrom?.find((source) => source.configMapRef)?.configMapRef?.name;
    const configMap = only<KubeObject & { data: Record<string, string> }>(
      objects,
      "ConfigMap",
      configMapName,
    );
    expect(configMap.data.ALLOWED_ROLES ?? "").toMatch(/\S/);
    expect(configMap.data.VAULT_TOKEN).toBeUndefined();
    expect(configMap.data.CLUSTER_KEY).toBeUndefined();
    const raftDir = env.get("RAFT_DIR")?.value ?? configMap.data.RAFT_DIR;
    const mount = container.volumeMounts?.find(
      (m) => raftDir?.replace(/\/$/, "") === m.mountPath.replace(/\/$/, ""),
    );
    expect(mount).toBeDefined();
    const volume = deployment.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.emptyDir).toBeDefined();
  });
});
