// The shipped manifests (kustomize base, production overlay, quick-start sample app) configure the programs with
// variables lib/config knows and values it accepts: a renamed variable or a bad default fails here, not in a cluster.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CONTROLLER_ENV_NAMES,
  INIT_ENV_NAMES,
  loadControllerConfig,
  loadInitConfig,
} from "../../lib/config/index.ts";

const ROOT = join(import.meta.dir, "../..");

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { key: string }; fieldRef?: { fieldPath: string } };
}

function yamlDocuments(path: string): Record<string, unknown>[] {
  const parsed: unknown = Bun.YAML.parse(readFileSync(join(ROOT, path), "utf8"));
  return (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
}

function literals(path: string): Record<string, string> {
  const [kustomization] = yamlDocuments(path);
  const generators = (kustomization?.configMapGenerator ?? []) as { literals?: string[] }[];
  const out: Record<string, string> = {};
  for (const literal of generators.flatMap((g) => g.literals ?? [])) {
    const at = literal.indexOf("=");
    out[literal.slice(0, at)] = literal.slice(at + 1);
  }
  return out;
}

/** What the kubelet would put in the environment for secret and downward-API references. */
const RESOLVED: Record<string, string> = {
  VAULT_TOKEN: "hvs.CAESIsampleControllerToken",
  CLUSTER_KEY: "0123456789abcdef0123456789abcdef0123456789ab",
  VAULT_ROLE_ID: "988a9dfd-ea69-4a53-6cb6-9d6b86474bba",
  "metadata.namespace": "kubernetes-vault",
  "metadata.name": "kubernetes-vault-0",
  "status.podIP": "10.0.0.5",
  "metadata.annotations['pod.boostport.com/vault-approle']": "sample-app",
};

function containerEnv(vars: EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vars) {
    const reference = v.valueFrom?.secretKeyRef?.key ?? v.valueFrom?.fieldRef?.fieldPath;
    const value = v.value ?? (reference !== undefined ? RESOLVED[reference] : undefined);
    if (value === undefined) throw new Error(`no sample value for ${v.name} (${reference})`);
    out[v.name] = value;
  }
  return out;
}

type PodSpec = { containers?: { env?: EnvVar[] }[]; initContainers?: { name: string; env?: EnvVar[] }[] };

function podSpecOf(path: string, kind: string): PodSpec {
  const document = yamlDocuments(path).find((d) => d.kind === kind) as
    | { spec: { template: { spec: PodSpec } } }
    | undefined;
  if (!document) throw new Error(`${path} holds no ${kind}`);
  return document.spec.template.spec;
}

function controllerEnv(overlayLiterals: Record<string, string> = {}): Record<string, string> {
  const spec = podSpecOf("kustomize/base/deployment.yaml", "Deployment");
  return {
    ...literals("kustomize/base/kustomization.yaml"),
    ...overlayLiterals,
    ...containerEnv(spec.containers?.[0]?.env ?? []),
  };
}

describe("kustomize manifests", () => {
  test("the base configures the controller with known variables and valid values", () => {
    const env = controllerEnv();
    expect(Object.keys(env).filter((name) => !CONTROLLER_ENV_NAMES.includes(name))).toEqual([]);
    const config = loadControllerConfig(env);
    expect(config.metricsTls).toBe(false);
    expect(config.metricsListen.port).toBe(8080);
    expect(config.healthListen.port).toBe(8081);
    expect(config.pki).toMatchObject({ backend: "pki", role: "kubernetes-vault" });
    expect(config.allowList.kind).toBe("inline");
  });

  test("the production overlay turns on metrics TLS on 8443 with client CAs", () => {
    const config = loadControllerConfig(
      controllerEnv(literals("kustomize/overlays/production/kustomization.yaml")),
    );
    expect(config.metricsTls).toBe(true);
    expect(config.metricsListen).toEqual({ hostname: "0.0.0.0", port: 8443 });
    expect(config.pki.clientCaMounts).toEqual(["pki-monitoring"]);
  });

  test("the quick-start sample app's init container is configured with known variables and valid values", () => {
    const spec = podSpecOf("kustomize/overlays/quick-start/sample-app.yaml", "Deployment");
    const init = spec.initContainers?.[0];
    const env = containerEnv(init?.env ?? []);
    expect(Object.keys(env).filter((name) => !INIT_ENV_NAMES.includes(name))).toEqual([]);
    const config = loadInitConfig(env);
    expect(config.expectedRole).toBe("sample-app");
    expect(config.vaultAddr).toBe("https://vault.vault.svc:8200");
    expect(config.controllerCaCertPath).toBe("/etc/kubernetes-vault/controller-ca.crt");
  });
});
