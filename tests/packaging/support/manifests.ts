/**
 * The shipped kustomizations rendered by a real kustomize (Debian's kubectl 1.20, unpacked into .tools/bin), parsed
 * into plain objects, with typed accessors for the parts the packaging tests check. Every directory under
 * kustomize/overlays is an overlay, so a new one is covered without touching the tests.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ROOT, runOk, tool } from "./tools.ts";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: ContainerPort[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  restartPolicy?: string;
}

export interface PodSpec {
  serviceAccountName?: string;
  restartPolicy?: string;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: {
    name: string;
    emptyDir?: { medium?: string };
    configMap?: { name: string };
    secret?: unknown;
  }[];
  topologySpreadConstraints?: unknown[];
  affinity?: { podAntiAffinity?: unknown };
}

/** A Deployment or a Job (WORKLOAD_KINDS): whatever carries a pod template. Jobs have no selector of their own. */
export interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
}

export const KUSTOMIZE_DIR = join(ROOT, "kustomize");

/** "base" and "overlays/<name>" for every overlay directory. */
export function kustomizations(): string[] {
  const overlays = join(KUSTOMIZE_DIR, "overlays");
  const names = readdirSync(overlays).filter((name) => statSync(join(overlays, name)).isDirectory());
  return ["base", ...names.sort().map((name) => `overlays/${name}`)];
}

const rendered = new Map<string, Promise<KubeObject[]>>();

/** `kubectl kustomize kustomize/<which>`, parsed; cached per kustomization for the test process. */
export function render(which: string): Promise<KubeObject[]> {
  let objects = rendered.get(which);
  if (!objects) {
    objects = runOk(tool("kubectl"), ["kustomize", join(KUSTOMIZE_DIR, which)]).then((text) =>
      parseAllDocuments(text).map((document, index) => {
        if (document.errors.length > 0)
          throw new Error(`${which}: document ${index} is not YAML: ${document.errors[0]?.message}`);
        return document.toJSON() as KubeObject;
      }),
    );
    rendered.set(which, objects);
  }
  return objects;
}

export function find<T extends KubeObject = KubeObject>(
  objects: KubeObject[],
  kind: string,
  name?: string,
): T[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as T[];
}

export function only<T extends KubeObject = KubeObject>(
  objects: KubeObject[],
  kind: string,
  name?: string,
): T {
  const found = find<T>(objects, kind, name);
  if (found.length !== 1)
    throw new Error(`expected exactly one ${kind}${name ? ` named ${name}` : ""}, found ${found.length}`);
  return found[0] as T;
}

export const CONTROLLER_DEPLOYMENT = "kubernetes-vault";

/** The controller Deployment and its one container. */
export function controllerOf(objects: KubeObject[]): { deployment: Workload; container: Container } {
  const deployment = only<Workload>(objects, "Deployment", CONTROLLER_DEPLOYMENT);
  const container = deployment.spec.template.spec.containers.find((c) => c.name === "controller");
  if (!container) throw new Error("the controller Deployment has no container named controller");
  return { deployment, container };
}

/** The kinds with a pod template that the manifests ship. */
export const WORKLOAD_KINDS = ["Deployment", "Job"];

export function workloads(objects: KubeObject[]): Workload[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)) as Workload[];
}

/** Workloads other than the controller whose pods carry the role annotation: sample apps with our init container. */
export function sampleApps(objects: KubeObject[]): Workload[] {
  return workloads(objects).filter(
    (d) => d.spec.template.metadata.annotations?.["pod.boostport.com/vault-approle"] !== undefined,
  );
}

/** Every container of every pod template: [workload, container, kind of container]. */
export function allContainers(objects: KubeObject[]): [Workload, Container, "init" | "main"][] {
  return workloads(objects).flatMap((workload) => [
    ...(workload.spec.template.spec.initContainers ?? []).map(
      (c) => [workload, c, "init"] as [Workload, Container, "init"],
    ),
    ...workload.spec.template.spec.containers.map(
      (c) => [workload, c, "main"] as [Workload, Container, "main"],
    ),
  ]);
}
