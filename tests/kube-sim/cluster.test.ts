// The stand-in's storage core (pure): one revision counter, per-type history, old states, compaction.
// Mirrors the etcd behaviour described in https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
// (resourceVersion from a single counter; older versions answer 410 once compacted).
import { expect, setDefaultTimeout, test } from "bun:test";
import { Cluster } from "../../sim/kube/cluster.ts";
import { ApiError } from "../../sim/kube/status.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

const pod = (name: string, label = "1") => ({
  metadata: { name, namespace: "default", labels: { v: label } },
});
const names = (objects: readonly { metadata?: unknown }[]) =>
  objects.map((o) => (o.metadata as { name: string }).name);

test("every write bumps one counter shared by all types", () => {
  const cluster = new Cluster();
  cluster.insert("pods", pod("a"));
  cluster.insert("namespaces", { metadata: { name: "x" } });
  const b = cluster.insert("pods", pod("b"));
  expect(b.metadata).toMatchObject({ resourceVersion: "3" });
  expect(cluster.resourceVersion).toBe(3);
  cluster.assertInvariants();
});

test("listAt rebuilds an old state by undoing later changes", () => {
  const cluster = new Cluster();
  cluster.insert("pods", pod("a"));
  cluster.insert("pods", pod("b"));
  const at = cluster.resourceVersion;
  cluster.replace("pods", pod("a", "2"));
  cluster.remove("pods", pod("b"));
  cluster.insert("pods", pod("c"));
  const old = cluster.listAt("pods", at, "default");
  expect(names(old)).toEqual(["a", "b"]);
  expect(old[0]?.metadata).toMatchObject({ labels: { v: "1" } });
  expect(names(cluster.list("pods"))).toEqual(["a", "c"]);
});

test("changesSince replays in order; compactAll makes older revisions 410", () => {
  const cluster = new Cluster();
  cluster.insert("pods", pod("a"));
  cluster.replace("pods", pod("a", "2"));
  expect(cluster.changesSince("pods", 0).map((c) => c.type)).toEqual(["ADDED", "MODIFIED"]);
  cluster.compactAll();
  expect(cluster.changesSince("pods", cluster.resourceVersion)).toEqual([]);
  try {
    cluster.changesSince("pods", 1);
    throw new Error("expected 410");
  } catch (error) {
    expect((error as ApiError).status).toMatchObject({ code: 410, reason: "Expired" });
  }
});

test("the history window drops the oldest change and raises the floor", () => {
  const cluster = new Cluster(2);
  for (const name of ["a", "b", "c"]) cluster.insert("pods", pod(name));
  expect(cluster.floorOf("pods")).toBe(1);
  expect(() => cluster.listAt("pods", 0)).toThrow(ApiError);
  expect(names(cluster.listAt("pods", 1))).toEqual(["a"]);
  cluster.assertInvariants();
});

test("listeners see each change synchronously, inside the write", () => {
  const cluster = new Cluster();
  const seen: number[] = [];
  const unsubscribe = cluster.subscribe("pods", (change) => seen.push(change.revision));
  cluster.insert("pods", pod("a"));
  expect(seen).toEqual([1]);
  unsubscribe();
  cluster.insert("pods", pod("b"));
  expect(seen).toEqual([1]);
});
