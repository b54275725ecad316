// Every kustomization (base and each overlay) renders with a real kustomize, every rendered object validates
// against the Kubernetes schemas (kubernetes-models; the Prometheus Operator's for the ServiceMonitor), and the
// rendered set holds together: namespaced objects have a namespace, and every ConfigMap, Secret-free reference and
// ServiceAccount a pod names is rendered beside it (generated names carry kustomize's hash suffix).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import { allContainers, type KubeObject, kustomizations, render, workloads } from "./support/manifests.ts";

// kubectl is a separate process on a busy 2-core machine (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(120_000);

interface Validatable {
  validate(): void;
}
/** The kinds the manifests may use, each with its schema. Anything else must be added here on purpose. */
const MODELS: Record<string, (object: KubeObject) => Validatable> = {
  "v1/Namespace": (o) => new Namespace(o as never),
  "v1/ServiceAccount": (o) => new ServiceAccount(o as never),
  "v1/ConfigMap": (o) => new ConfigMap(o as never),
  "v1/Service": (o) => new Service(o as never),
  "apps/v1/Deployment": (o) => new Deployment(o as never),
  "batch/v1/Job": (o) => new Job(o as never),
  "policy/v1/PodDisruptionBudget": (o) => new PodDisruptionBudget(o as never),
  "rbac.authorization.k8s.io/v1/ClusterRole": (o) => new ClusterRole(o as never),
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": (o) => new ClusterRoleBinding(o as never),
  "rbac.authorization.k8s.io/v1/Role": (o) => new Role(o as never),
  "rbac.authorization.k8s.io/v1/RoleBinding": (o) => new RoleBinding(o as never),
  "monitoring.coreos.com/v1/ServiceMonitor": (o) => new ServiceMonitor(o as never),
};
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

function schemaProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    const model = MODELS[key];
    if (!model) {
      problems.push(`${key} ${object.metadata?.name}: no schema known for this kind`);
      continue;
    }
    try {
      model(object).validate();
    } catch (error) {
      problems.push(
        `${key} ${object.metadata.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return problems;
}

/** References from pod templates to objects that must be rendered in the pod's namespace. */
function danglingReferences(objects: KubeObject[]): string[] {
  const have = new Set(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`));
  // Created by the operator before applying (docs/quick-start.md): Secrets and the trust ConfigMap.
  const external = new Set(["kubernetes-vault-trust"]);
  const missing: string[] = [];
  const need = (kind: string, namespace: string, name: string, from: string) => {
    if (!external.has(name) && !have.has(`${kind}/${namespace}/${name}`))
      missing.push(`${from} refers to ${kind} ${namespace}/${name}, which is not rendered`);
  };
  for (const workload of workloads(objects)) {
    const namespace = workload.metadata.namespace ?? "";
    const spec = workload.spec.template.spec;
    if (spec.serviceAccountName && spec.serviceAccountName !== "default")
      need("ServiceAccount", namespace, spec.serviceAccountName, workload.metadata.name);
    for (const volume of spec.volumes ?? [])
      if (volume.configMap) need("ConfigMap", namespace, volume.configMap.name, workload.metadata.name);
  }
  for (const [workload, container] of allContainers(objects)) {
    const namespace = workload.metadata.namespace ?? "";
    for (const source of container.envFrom ?? [])
      if (source.configMapRef) need("ConfigMap", namespace, source.configMapRef.name, container.name);
    for (const variable of container.env ?? [])
      if (variable.valueFrom?.configMapKeyRef)
        need("ConfigMap", namespace, variable.valueFrom.configMapKeyRef.name, container.name);
  }
  return missing;
}

describe.each(kustomizations())("kustomize/%s", (which) => {
  test("renders with kubectl kustomize into known kinds that validate against the schemas", async () => {
    const objects = await render(which);
    expect(objects.length).toBeGreaterThan(0);
    expect(schemaProblems(objects)).toEqual([]);
  });

  test("every namespaced object has a namespace, and every name is unique per kind and namespace", async () => {
    const objects = await render(which);
    const unplaced = objects
      .filter((o) => !CLUSTER_SCOPED.has(o.kind) && !o.metadata.namespace)
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(unplaced).toEqual([]);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  test("every ConfigMap and ServiceAccount a pod refers to is rendered in its namespace", async () => {
    expect(danglingReferences(await render(which))).toEqual([]);
  });
});

test("the schema check can fail: a Deployment with a string containerPort is refused", () => {
  const broken = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "broken", namespace: "x" },
    spec: {
      selector: { matchLabels: { a: "b" } },
      template: { spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "http" }] }] } },
    },
  } as unknown as KubeObject;
  expect(schemaProblems([broken])[0]).toContain("containerPort must be integer");
});
