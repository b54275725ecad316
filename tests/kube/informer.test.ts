// lib/kube's pod informer against the Kubernetes API stand-in over HTTPS, authenticated exactly like in-cluster
// service-account auth (token and CA files, KUBERNETES_SERVICE_HOST/PORT). Follows
// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createPodInformer, type PodEventType, type PodInformer, type PodKey } from "../../lib/kube/index.ts";
import { waitFor } from "../support/wait.ts";
import {
  type CountingTransport,
  counting,
  createPod,
  deletePod,
  expectStatus,
  type KubeFixture,
  startKubeFixture,
} from "./support.ts";

setDefaultTimeout(60_000);

const ROLE = "pod.boostport.com/vault-approle";
let kube: KubeFixture;
let informer: PodInformer;
let transport: CountingTransport;
const events: { type: PodEventType; key: PodKey }[] = [];

beforeAll(async () => {
  kube = await startKubeFixture();
  await createPod(kube.admin, "default", "before-start", { [ROLE]: "app" });
  transport = counting(kube.inCluster());
  informer = createPodInformer({ transport, resyncMs: 0, pageSize: 2 });
  informer.on((type, key) => events.push({ type, key }));
  informer.start();
  await informer.waitForSync();
});

afterAll(async () => {
  await informer?.stop();
  await kube?.close();
});

const seen = (type: PodEventType, name: string) =>
  events.some((event) => event.type === type && event.key.name === name);

test("the first list fills the cache before hasSynced, and handlers get only the key", () => {
  expect(informer.hasSynced()).toBe(true);
  const pod = informer.get("default", "before-start");
  expect(pod?.metadata.annotations).toEqual({ [ROLE]: "app" });
  expect(pod?.spec.serviceAccountName).toBe("app");
  const added = events.find((event) => event.key.name === "before-start");
  expect(added?.type).toBe("add");
  expect(Object.keys(added?.key ?? {}).sort()).toEqual(["name", "namespace", "uid"]);
});

test("adds, updates and deletes reach the cache, by UID and by namespace/name", async () => {
  await createPod(kube.admin, "default", "crud");
  await waitFor("add crud", () => seen("add", "crud"));
  const uid = informer.get("default", "crud")?.metadata.uid ?? "";
  expect(informer.getByUid(uid)?.metadata.name).toBe("crud");

  await expectStatus(kube.admin, 200, "/api/v1/namespaces/default/pods/crud/status", {
    method: "PATCH",
    contentType: "application/merge-patch+json",
    body: {
      status: {
        podIP: "127.1.0.9",
        initContainerStatuses: [
          { name: "vault-init", restartCount: 2, state: { running: { startedAt: "2026-01-01T00:00:00Z" } } },
        ],
      },
    },
  });
  await waitFor("podIP in cache", () => informer.getByUid(uid)?.status.podIP === "127.1.0.9");
  expect(informer.getByUid(uid)?.status.initContainerStatuses).toEqual([
    { name: "vault-init", restartCount: 2, state: { running: { startedAt: "2026-01-01T00:00:00Z" } } },
  ]);
  expect(seen("update", "crud")).toBe(true);

  await deletePod(kube.admin, "default", "crud");
  await waitFor("delete crud", () => seen("delete", "crud"));
  expect(informer.getByUid(uid)).toBeUndefined();
  expect(informer.get("default", "crud")).toBeUndefined();
});

test("a cut watch is re-opened from the last version: changes made while it was down all arrive", async () => {
  const watchesBefore = transport.watches;
  const listsBefore = transport.lists;
  kube.sim.cutWatches();
  for (let index = 0; index < 5; index++) await createPod(kube.admin, "default", `cut-${index}`);
  await deletePod(kube.admin, "default", "cut-0");
  await waitFor("all cut pods", () => [1, 2, 3, 4].every((index) => informer.get("default", `cut-${index}`)));
  await waitFor("cut-0 deleted", () => seen("delete", "cut-0"));
  expect(informer.get("default", "cut-0")).toBeUndefined();
  expect(transport.watches).toBeGreaterThan(watchesBefore);
  expect(transport.lists).toBe(listsBefore);
});

test("a forced 410 Gone makes it re-list; pods created and deleted meanwhile are neither missed nor left behind", async () => {
  const listsBefore = transport.lists;
  await createPod(kube.admin, "default", "doomed");
  await waitFor("doomed", () => informer.get("default", "doomed"));
  // The watch hears nothing of these changes, and its resourceVersion becomes too old to resume from.
  transport.holdWatches();
  kube.sim.cutWatches();
  await deletePod(kube.admin, "default", "doomed");
  await createPod(kube.admin, "default", "after-gone");
  kube.sim.compactAll();
  transport.release();
  await waitFor("after-gone", () => informer.get("default", "after-gone"));
  await waitFor("doomed removed", () => informer.get("default", "doomed") === undefined);
  expect(seen("delete", "doomed")).toBe(true);
  expect(transport.lists).toBeGreaterThan(listsBefore);
  const names = informer
    .list()
    .map((pod) => pod.metadata.name)
    .sort();
  expect(names).toEqual(["after-gone", "before-start", "cut-1", "cut-2", "cut-3", "cut-4"]);
});

test("the cache keeps only the slim fields (the 2 KB unrelated annotation is gone)", () => {
  const pod = informer.get("default", "after-gone");
  expect(JSON.stringify(pod).length).toBeLessThan(400);
  expect(pod?.metadata.annotations).toBeUndefined();
  expect(pod?.metadata.resourceVersion).toMatch(/^\d+$/);
});
