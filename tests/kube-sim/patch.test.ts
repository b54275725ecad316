// PATCH content types and the status subresource.
// Follows https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/ (strategic
// merge patch: lists merged by patchMergeKey, `$patch` directives), RFC 7386 (merge patch), RFC 6902 (JSON patch),
// https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply and the pods/status subresource of
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { applyStrategicMergePatch } from "../../sim/kube/patch/index.ts";
import { pods as podType } from "../../sim/kube/resources/pods.ts";
import { call, startTestSim, type TestSim } from "./helpers.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

let t: TestSim;
beforeAll(async () => {
  t = await startTestSim();
});
afterAll(() => t.close());

const base = "/api/v1/namespaces/default/pods";
let counter = 0;
async function freshPod() {
  const name = `p${++counter}`;
  await call(t.sim, "POST", base, {
    body: {
      metadata: { name, labels: { app: "web" }, annotations: { keep: "1" } },
      spec: {
        initContainers: [{ name: "init", image: "i:1", env: [{ name: "A", value: "1" }] }],
        containers: [
          {
            name: "app",
            image: "a:1",
            env: [
              { name: "X", value: "1" },
              { name: "Y", value: "2" },
            ],
          },
          { name: "side", image: "s:1" },
        ],
      },
    },
  });
  return `${base}/${name}`;
}
const patch = (path: string, contentType: string, body: unknown) =>
  call(t.sim, "PATCH", path, { body, contentType });

describe("merge patch (application/merge-patch+json)", () => {
  test("merges maps, null deletes, lists are replaced", async () => {
    const path = await freshPod();
    const { status, json } = await patch(path, "application/merge-patch+json", {
      metadata: { labels: { tier: "front" }, annotations: { keep: null } },
    });
    expect(status).toBe(200);
    expect(json.metadata.labels).toEqual({ app: "web", tier: "front" });
    expect(json.metadata.annotations).toEqual({});
  });

  test("a resourceVersion in the patch is a precondition (409 when stale)", async () => {
    const path = await freshPod();
    const { status, json } = await patch(path, "application/merge-patch+json", {
      metadata: { resourceVersion: "1", labels: { x: "y" } },
    });
    expect(status).toBe(409);
    expect(json.reason).toBe("Conflict");
  });
});

describe("strategic merge patch (application/strategic-merge-patch+json)", () => {
  test("containers merge by name over the API (only the image changes, as pod updates allow)", async () => {
    const path = await freshPod();
    const { status, json } = await patch(path, "application/strategic-merge-patch+json", {
      spec: { containers: [{ name: "app", image: "a:2" }] },
    });
    expect(status).toBe(200);
    expect(json.spec.containers.map((c: { name: string }) => c.name)).toEqual(["app", "side"]);
    expect(json.spec.containers[0].image).toBe("a:2");
    expect(json.spec.containers[0].env).toHaveLength(2);
  });

  test("env merges by name inside a container merged by name", () => {
    const target = {
      spec: {
        containers: [
          {
            name: "app",
            env: [
              { name: "X", value: "1" },
              { name: "Y", value: "2" },
            ],
          },
        ],
      },
    };
    const patched = applyStrategicMergePatch(
      target,
      {
        spec: {
          containers: [
            {
              name: "app",
              env: [
                { name: "Y", value: "two" },
                { name: "Z", value: "3" },
              ],
            },
          ],
        },
      },
      podType.mergeStrategy,
    );
    expect(patched).toEqual({
      spec: {
        containers: [
          {
            name: "app",
            env: [
              { name: "X", value: "1" },
              { name: "Y", value: "two" },
              { name: "Z", value: "3" },
            ],
          },
        ],
      },
    });
  });

  test("the same body as a merge patch replaces the list (and is then refused as a spec change)", async () => {
    const path = await freshPod();
    const { status } = await patch(path, "application/merge-patch+json", {
      spec: { containers: [{ name: "app", image: "a:2" }] },
    });
    expect(status).toBe(422);
  });

  test("status conditions merge by type; initContainerStatuses are atomic (replaced) as in types.go", async () => {
    const path = await freshPod();
    await patch(`${path}/status`, "application/strategic-merge-patch+json", {
      status: {
        conditions: [
          { type: "Initialized", status: "False" },
          { type: "Ready", status: "False" },
        ],
        initContainerStatuses: [
          { name: "init", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } },
          { name: "other", ready: false, restartCount: 0, state: {} },
        ],
      },
    });
    const { json } = await patch(`${path}/status`, "application/strategic-merge-patch+json", {
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        initContainerStatuses: [
          {
            name: "init",
            ready: false,
            restartCount: 0,
            state: { running: { startedAt: "2024-01-01T00:00:00Z" } },
          },
        ],
      },
    });
    expect(json.status.conditions).toEqual([
      { type: "Initialized", status: "False" },
      { type: "Ready", status: "True" },
    ]);
    expect(json.status.initContainerStatuses).toHaveLength(1);
    expect(json.status.initContainerStatuses[0].state).toEqual({
      running: { startedAt: "2024-01-01T00:00:00Z" },
    });
  });

  test("$patch: delete removes a list element; $patch: replace replaces a list", () => {
    const target = {
      spec: {
        containers: [
          { name: "a", image: "1" },
          { name: "b", image: "2" },
        ],
      },
    };
    const deleted = applyStrategicMergePatch(
      target,
      { spec: { containers: [{ name: "a", $patch: "delete" }] } },
      podType.mergeStrategy,
    );
    expect(deleted).toEqual({ spec: { containers: [{ name: "b", image: "2" }] } });
    const replaced = applyStrategicMergePatch(
      target,
      { spec: { containers: [{ name: "c", image: "3" }, { $patch: "replace" }] } },
      podType.mergeStrategy,
    );
    expect(replaced).toEqual({ spec: { containers: [{ name: "c", image: "3" }] } });
  });

  test("finalizers merge as a set and $deleteFromPrimitiveList removes", () => {
    const target = { metadata: { finalizers: ["a", "b"] } };
    expect(
      applyStrategicMergePatch(target, { metadata: { finalizers: ["b", "c"] } }, podType.mergeStrategy),
    ).toEqual({
      metadata: { finalizers: ["a", "b", "c"] },
    });
    expect(
      applyStrategicMergePatch(
        target,
        { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } },
        podType.mergeStrategy,
      ),
    ).toEqual({ metadata: { finalizers: ["b"] } });
  });
});

describe("JSON patch (application/json-patch+json)", () => {
  test("add, replace, remove, test", async () => {
    const path = await freshPod();
    const { status, json } = await patch(path, "application/json-patch+json", [
      { op: "test", path: "/metadata/labels/app", value: "web" },
      { op: "add", path: "/metadata/labels/tier", value: "front" },
      { op: "replace", path: "/spec/containers/0/image", value: "a:3" },
      { op: "remove", path: "/metadata/annotations/keep" },
    ]);
    expect(status).toBe(200);
    expect(json.metadata.labels.tier).toBe("front");
    expect(json.spec.containers[0].image).toBe("a:3");
    expect(json.metadata.annotations).toEqual({});
  });

  test("a failing test operation is 422 and changes nothing", async () => {
    const path = await freshPod();
    const before = (await call(t.sim, "GET", path)).json;
    const { status, json } = await patch(path, "application/json-patch+json", [
      { op: "add", path: "/metadata/labels/x", value: "y" },
      { op: "test", path: "/metadata/labels/app", value: "nope" },
    ]);
    expect(status).toBe(422);
    expect(json.kind).toBe("Status");
    expect((await call(t.sim, "GET", path)).json).toEqual(before);
  });
});

describe("content types", () => {
  test("server-side apply and unknown types are 415 UnsupportedMediaType", async () => {
    const path = await freshPod();
    for (const type of ["application/apply-patch+yaml", "text/plain"]) {
      const { status, json } = await patch(path, type, {});
      expect(status).toBe(415);
      expect(json.reason).toBe("UnsupportedMediaType");
    }
  });

  test("patching a missing object is 404", async () => {
    expect((await patch(`${base}/missing`, "application/merge-patch+json", {})).status).toBe(404);
  });
});

describe("status subresource", () => {
  test("GET /status returns the pod; PUT /status changes only status", async () => {
    const path = await freshPod();
    const current = (await call(t.sim, "GET", `${path}/status`)).json;
    expect(current.kind).toBe("Pod");
    current.status.phase = "Running";
    current.status.podIP = "127.1.2.3";
    current.metadata.labels.ignored = "yes";
    current.spec.containers[0].image = "ignored:9";
    const { status, json } = await call(t.sim, "PUT", `${path}/status`, { body: current });
    expect(status).toBe(200);
    expect(json.status.phase).toBe("Running");
    expect(json.status.podIP).toBe("127.1.2.3");
    expect(json.metadata.labels.ignored).toBeUndefined();
    expect(json.spec.containers[0].image).toBe("a:1");
  });

  test("PATCH /status ignores spec; PATCH on the main resource ignores status", async () => {
    const path = await freshPod();
    const viaStatus = await patch(`${path}/status`, "application/merge-patch+json", {
      spec: { activeDeadlineSeconds: 5 },
      status: { phase: "Running" },
    });
    expect(viaStatus.json.spec.activeDeadlineSeconds).toBeUndefined();
    expect(viaStatus.json.status.phase).toBe("Running");
    const viaMain = await patch(path, "application/merge-patch+json", { status: { phase: "Failed" } });
    expect(viaMain.json.status.phase).toBe("Running");
  });

  test("endpoints have no status subresource (404)", async () => {
    await call(t.sim, "POST", "/api/v1/namespaces/default/endpoints", { body: { metadata: { name: "e" } } });
    expect((await call(t.sim, "GET", "/api/v1/namespaces/default/endpoints/e/status")).status).toBe(404);
  });
});
