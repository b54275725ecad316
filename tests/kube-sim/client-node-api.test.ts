// @kubernetes/client-node 1.4.0's typed CoreV1Api against the stand-in, loaded from the admin kubeconfig the sim
// writes: what lib/kube and the controller call (pods, pod status patches, events, namespaces) and how errors
// surface (ApiException carrying the Status). Follows the same pages as crud.test.ts and patch.test.ts
// (https://kubernetes.io/docs/reference/using-api/api-concepts/,
// https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { podManifest, startTestSim, type TestSim } from "./helpers.ts";

// Real servers on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

let t: TestSim;
let api: CoreV1Api;
beforeAll(async () => {
  t = await startTestSim();
  const config = new KubeConfig();
  config.loadFromFile(t.sim.adminKubeconfigPath);
  api = config.makeApiClient(CoreV1Api);
});
afterAll(() => t.close());

async function apiError(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
    return { code: error.code, status: body as Record<string, unknown> };
  }
  throw new Error("expected the call to fail");
}

test("the admin kubeconfig reaches the server over verified TLS with its token", async () => {
  const namespaces = await api.listNamespace();
  expect(namespaces.items.map((n) => n.metadata?.name)).toContain("default");
});

test("create, read, replace (409 when stale), delete a pod", async () => {
  const created = await api.createNamespacedPod({ namespace: "default", body: podManifest("typed") });
  expect(created.metadata?.uid).toBeString();
  expect(created.status?.phase).toBe("Pending");
  const read = await api.readNamespacedPod({ namespace: "default", name: "typed" });
  read.metadata = { ...read.metadata, labels: { v: "2" } };
  const replaced = await api.replaceNamespacedPod({ namespace: "default", name: "typed", body: read });
  expect(replaced.metadata?.labels).toEqual({ v: "2" });
  const stale = await apiError(api.replaceNamespacedPod({ namespace: "default", name: "typed", body: read }));
  expect(stale.code).toBe(409);
  expect(stale.status.reason).toBe("Conflict");
  const deleted = await api.deleteNamespacedPod({ namespace: "default", name: "typed" });
  expect(deleted.metadata?.name).toBe("typed");
  const missing = await apiError(api.readNamespacedPod({ namespace: "default", name: "typed" }));
  expect(missing).toMatchObject({ code: 404, status: { kind: "Status", reason: "NotFound" } });
});

test("status patches with each content type", async () => {
  await api.createNamespacedPod({ namespace: "default", body: podManifest("patched") });
  const strategic = await api.patchNamespacedPodStatus(
    {
      namespace: "default",
      name: "patched",
      body: { status: { podIP: "127.1.9.9", conditions: [{ type: "Ready", status: "False" }] } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
  );
  expect(strategic.status?.podIP).toBe("127.1.9.9");
  const merged = await api.patchNamespacedPodStatus(
    { namespace: "default", name: "patched", body: { status: { phase: "Running" } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  expect(merged.status?.phase).toBe("Running");
  // client-node's default patch type is JSON patch.
  const jsonPatched = await api.patchNamespacedPod({
    namespace: "default",
    name: "patched",
    body: [{ op: "add", path: "/metadata/annotations", value: { seen: "yes" } }],
  });
  expect(jsonPatched.metadata?.annotations).toEqual({ seen: "yes" });
  const applied = await apiError(
    api.patchNamespacedPod(
      { namespace: "default", name: "patched", body: {} },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    ),
  );
  expect(applied.code).toBe(415);
});

test("events: create and list by involvedObject", async () => {
  await api.createNamespacedEvent({
    namespace: "default",
    body: {
      metadata: { generateName: "patched." },
      involvedObject: { kind: "Pod", namespace: "default", name: "patched" },
      reason: "Pushed",
      message: "secret_id delivered",
      type: "Normal",
    },
  });
  const events = await api.listNamespacedEvent({
    namespace: "default",
    fieldSelector: "involvedObject.name=patched,involvedObject.kind=Pod",
  });
  expect(events.items.map((e) => e.reason)).toEqual(["Pushed"]);
});

test("paginated list across namespaces", async () => {
  await api.createNamespace({ body: { metadata: { name: "paged" } } });
  for (const name of ["p1", "p2", "p3"])
    await api.createNamespacedPod({ namespace: "paged", body: podManifest(name) });
  const first = await api.listPodForAllNamespaces({ limit: 2 });
  expect(first.items).toHaveLength(2);
  const rest = await api.listPodForAllNamespaces({ limit: 2, _continue: first.metadata?._continue });
  const all = [...first.items, ...rest.items].map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
  expect(all).toEqual(["default/patched", "paged/p1", "paged/p2", "paged/p3"]);
  const ns = await api.deleteNamespace({ name: "paged" });
  expect(ns).toBeDefined();
  expect((await api.listNamespacedPod({ namespace: "paged" })).items).toEqual([]);
});
