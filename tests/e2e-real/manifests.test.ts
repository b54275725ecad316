/**
 * Every kustomization (base and each overlay), rendered by the real kubectl 1.37 and sent to the real kube-apiserver
 * with `kubectl apply --dry-run=server`: the server's own validation, defaulting and admission, not a schema copy.
 * Namespaces the manifests create are created first (a dry run creates nothing, so objects inside them would be
 * refused for a missing namespace, which says nothing about the manifests).
 *
 * The ServiceMonitor kind is a CRD of prometheus-operator, which no Go module here ships as YAML: a stand-in CRD
 * for monitoring.coreos.com/v1 is installed that accepts any spec, so the server checks its group, version, kind and
 * metadata; its fields stay checked against the prometheus-operator schema in tests/packaging.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { type ControlPlane, startControlPlane } from "../../sim/real/control-plane.ts";
import { kubectl as runKubectl } from "../../sim/sandbox/real.ts";

setDefaultTimeout(300_000);

const KUSTOMIZE_DIR = resolve(import.meta.dir, "../../kustomize");
/** Every overlay directory, so a new overlay is sent to the server without touching this test. */
const KUSTOMIZATIONS = [
  "base",
  ...readdirSync(join(KUSTOMIZE_DIR, "overlays"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `overlays/${entry.name}`)
    .sort(),
];

const SERVICE_MONITOR_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "servicemonitors.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    scope: "Namespaced",
    names: {
      kind: "ServiceMonitor",
      listKind: "ServiceMonitorList",
      plural: "servicemonitors",
      singular: "servicemonitor",
    },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

let plane: ControlPlane;

/** kubectl against the real API server (asynchronous: the relay it connects through runs in this process). */
async function kubectl(args: string[], input?: string): Promise<{ ok: boolean; out: string }> {
  try {
    const out = await runKubectl(
      { kubectl: plane.kubectl, kubeconfig: plane.kube.adminKubeconfigPath },
      args,
      input,
    );
    return { ok: true, out };
  } catch (error) {
    return { ok: false, out: error instanceof Error ? error.message : String(error) };
  }
}

beforeAll(async () => {
  plane = await startControlPlane(mkdtempSync(join(tmpdir(), "kv-real-manifests-")));
  const crd = await kubectl(["apply", "-f", "-"], JSON.stringify(SERVICE_MONITOR_CRD));
  expect(crd).toMatchObject({ ok: true });
  const established = await kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=120s",
    "crd/servicemonitors.monitoring.coreos.com",
  ]);
  expect(established.out).toContain("condition met");
});

afterAll(async () => {
  await plane?.stop();
});

describe("the real kube-apiserver accepts every kustomization", () => {
  for (const which of KUSTOMIZATIONS) {
    test(`${which}: kubectl apply --dry-run=server`, async () => {
      const rendered = await kubectl(["kustomize", join(KUSTOMIZE_DIR, which)]);
      expect(rendered.ok).toBe(true);
      const objects = parseAllDocuments(rendered.out.replace(/^# Warning:.*$/gm, ""))
        .map((document) => document.toJS() as { kind?: string; metadata?: { name?: string } } | null)
        .filter((object) => object?.kind);
      for (const namespace of objects.filter((object) => object?.kind === "Namespace")) {
        const name = namespace?.metadata?.name ?? "";
        await kubectl(["create", "namespace", name]);
      }
      const dryRun = await kubectl(["apply", "--dry-run=server", "-f", "-"], rendered.out);
      expect({ which, ok: dryRun.ok, out: dryRun.out }).toMatchObject({ which, ok: true });
      // One "(server dry run)" line per object: nothing was skipped.
      expect(dryRun.out.match(/\(server dry run\)/g)?.length).toBe(objects.length);
    });
  }

  test("a manifest the server must refuse is refused (the check can fail)", async () => {
    const broken = await kubectl(
      ["apply", "--dry-run=server", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "broken", namespace: "default" },
        spec: { ports: [{ port: 70000 }] },
      }),
    );
    expect(broken.ok).toBe(false);
    expect(broken.out).toMatch(/port/i);
  });
});
