// The memory budget: the controller targets <= 100 MB RSS with 10,000 pods cached. The cache keeps SlimPods only;
// this measures what 10,000 realistic pods (managedFields, labels, big annotations, containers, full status) cost
// once slimmed, with a bound far below the budget so a regression to whole objects (several KB each) fails.
import { expect, test } from "bun:test";
import { isSlimPod, PodStore, slimPod } from "../../lib/kube/index.ts";

const POD_COUNT = 10_000;
const MAX_CACHE_BYTES = 25 * 1024 * 1024;

const podName = (index: number) => `web-${index.toString(36)}-7d9f8c6b5-${(index * 7919).toString(36)}`;

function realisticPodJson(index: number): string {
  const name = podName(index);
  return JSON.stringify({
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name,
      namespace: `team-${index % 30}`,
      uid: `0b6c${index.toString(16).padStart(4, "0")}-1b2c-4d5e-8f90-${index.toString(16).padStart(12, "0")}`,
      resourceVersion: String(100_000 + index),
      labels: { app: "web", "pod-template-hash": "7d9f8c6b5", team: `team-${index % 30}` },
      annotations: {
        "pod.boostport.com/vault-approle": `role-${index % 50}`,
        "pod.boostport.com/vault-init-container": "vault-init",
        "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(1500),
      },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d9f8c6b5", uid: "r", controller: true },
      ],
      managedFields: Array.from({ length: 3 }, (_, field) => ({
        manager: `m${field}`,
        fieldsV1: { f: "y".repeat(400) },
      })),
    },
    spec: {
      serviceAccountName: "web",
      initContainers: [
        {
          name: "vault-init",
          image: "registry.example/vault-init:1",
          env: [{ name: "VAULT_ROLE_ID", value: "r" }],
        },
      ],
      containers: [
        {
          name: "app",
          image: "registry.example/app:1",
          env: Array.from({ length: 10 }, (_, e) => ({ name: `E${e}`, value: "v" })),
        },
      ],
    },
    status: {
      phase: "Pending",
      podIP: `127.1.${(index >> 8) & 255}.${index & 255}`,
      conditions: [{ type: "Initialized", status: "False", lastTransitionTime: "2026-01-01T00:00:00Z" }],
      initContainerStatuses: [
        {
          name: "vault-init",
          restartCount: 0,
          ready: false,
          image: "i",
          imageID: "sha256:abc",
          state: { running: { startedAt: "2026-01-01T00:00:00Z" } },
        },
      ],
    },
  });
}

function heapAfterGc(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

test(`10,000 realistic pods cost under ${MAX_CACHE_BYTES / 1024 / 1024} MB once slimmed into the cache`, () => {
  const before = heapAfterGc();
  const store = new PodStore();
  let rawBytes = 0;
  for (let index = 0; index < POD_COUNT; index++) {
    const json = realisticPodJson(index);
    rawBytes += json.length;
    const pod = slimPod(JSON.parse(json));
    if (isSlimPod(pod)) store.upsert(pod);
  }
  const retained = heapAfterGc() - before;
  expect(store.size).toBe(POD_COUNT);
  expect(store.get("team-1", podName(1))?.metadata.annotations).toEqual({
    "pod.boostport.com/vault-approle": "role-1",
    "pod.boostport.com/vault-init-container": "vault-init",
  });
  expect(rawBytes).toBeGreaterThan(POD_COUNT * 4000);
  console.log(
    `10,000 slim pods retain ${(retained / 1024 / 1024).toFixed(1)} MB (raw JSON ${(rawBytes / 1024 / 1024).toFixed(0)} MB)`,
  );
  expect(retained).toBeLessThan(MAX_CACHE_BYTES);
});
