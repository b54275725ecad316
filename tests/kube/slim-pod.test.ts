// slimPod(): what the informer keeps of a pod, and how it treats malformed API answers.
import { expect, test } from "bun:test";
import { isSlimPod, PodStore, slimPod } from "../../lib/kube/index.ts";

const full = {
  metadata: {
    uid: "u-1",
    name: "web-0",
    namespace: "shop",
    resourceVersion: "42",
    deletionTimestamp: "2026-01-01T00:00:00Z",
    labels: { app: "web" },
    annotations: { "pod.boostport.com/vault-approle": "web", "example.com/other": "dropped" },
  },
  spec: { serviceAccountName: "web-sa", containers: [{ name: "app" }] },
  status: {
    phase: "Pending",
    podIP: "127.1.0.5",
    initContainerStatuses: [
      {
        name: "vault-init",
        restartCount: 1,
        ready: false,
        state: { terminated: { exitCode: 1, reason: "Error", message: "m" } },
      },
    ],
  },
};

test("keeps exactly the fields the controller reads", () => {
  expect(slimPod(full)).toEqual({
    metadata: {
      uid: "u-1",
      name: "web-0",
      namespace: "shop",
      resourceVersion: "42",
      deletionTimestamp: "2026-01-01T00:00:00Z",
      annotations: { "pod.boostport.com/vault-approle": "web" },
    },
    spec: { serviceAccountName: "web-sa" },
    status: {
      podIP: "127.1.0.5",
      initContainerStatuses: [
        { name: "vault-init", restartCount: 1, state: { terminated: { exitCode: 1, reason: "Error" } } },
      ],
    },
  });
});

test("a pod without identity is refused with the field named; odd optional fields are dropped, not guessed", () => {
  const missingUid = slimPod({ ...full, metadata: { ...full.metadata, uid: undefined } });
  expect(isSlimPod(missingUid)).toBe(false);
  expect("error" in missingUid && missingUid.error).toContain("metadata.uid");
  const odd = slimPod({
    ...full,
    metadata: { ...full.metadata, annotations: "not-a-map" },
    status: { podIP: 7, initContainerStatuses: "nope" },
  });
  expect(odd).toMatchObject({ status: {}, metadata: { uid: "u-1" } });
  expect(isSlimPod(odd) && odd.metadata.annotations).toBeUndefined();
  expect(isSlimPod(odd) && odd.status.initContainerStatuses).toBeUndefined();
  expect(slimPod("garbage")).toEqual({ error: expect.any(String) });
});

test("a pod replaced under the same name is a delete of the old UID, then an add of the new one", () => {
  const store = new PodStore();
  const first = slimPod(full);
  const second = slimPod({ ...full, metadata: { ...full.metadata, uid: "u-2" } });
  if (!isSlimPod(first) || !isSlimPod(second)) throw new Error("fixtures must parse");
  store.upsert(first);
  expect(store.upsert(second).map((change) => `${change.type} ${change.key.uid}`)).toEqual([
    "delete u-1",
    "add u-2",
  ]);
  expect(store.get("shop", "web-0")?.metadata.uid).toBe("u-2");
  expect(store.getByUid("u-1")).toBeUndefined();
});
