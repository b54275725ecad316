// WATCH_NAMESPACES: plain names become one namespaced watch each; any glob becomes one all-namespaces watch
// filtered client-side. Against the API stand-in over HTTPS.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { ALL_PODS_PATH, createPodInformer, type PodInformer, watchScopes } from "../../lib/kube/index.ts";
import { waitFor } from "../support/wait.ts";
import { createNamespace, createPod, type KubeFixture, startKubeFixture } from "./support.ts";

setDefaultTimeout(60_000);

let kube: KubeFixture;
const informers: PodInformer[] = [];

beforeAll(async () => {
  kube = await startKubeFixture();
  for (const namespace of ["team-a", "team-b", "other"]) await createNamespace(kube.admin, namespace);
  for (const namespace of ["team-a", "team-b", "other", "default"])
    await createPod(kube.admin, namespace, "listed");
});
afterAll(async () => {
  await Promise.all(informers.map((informer) => informer.stop()));
  await kube?.close();
});

async function started(namespaces: string[]): Promise<PodInformer> {
  const informer = createPodInformer({ transport: kube.inCluster(), namespaces, resyncMs: 0 });
  informers.push(informer);
  informer.start();
  await informer.waitForSync();
  return informer;
}

const namespacesIn = (informer: PodInformer) =>
  [...new Set(informer.list().map((pod) => pod.metadata.namespace))].sort();

test("scopes: empty = all, names = one per namespace, any glob = one filtered all-namespaces watch", () => {
  expect(watchScopes([]).map((scope) => scope.path)).toEqual([ALL_PODS_PATH]);
  expect(watchScopes(["a", "b", "a"]).map((scope) => scope.path)).toEqual([
    "/api/v1/namespaces/a/pods",
    "/api/v1/namespaces/b/pods",
  ]);
  const [glob, ...rest] = watchScopes(["team-*", "exact"]);
  expect(rest).toEqual([]);
  expect(glob?.path).toBe(ALL_PODS_PATH);
  expect(["team-x", "exact", "exactly", "other"].map((namespace) => glob?.covers(namespace))).toEqual([
    true,
    true,
    false,
    false,
  ]);
});

test("named namespaces: only their pods are listed and watched", async () => {
  const informer = await started(["team-a", "other"]);
  expect(namespacesIn(informer)).toEqual(["other", "team-a"]);
  await createPod(kube.admin, "team-b", "named-late");
  await createPod(kube.admin, "team-a", "named-late");
  await waitFor("team-a late pod", () => informer.get("team-a", "named-late"));
  expect(informer.get("team-b", "named-late")).toBeUndefined();
});

test("globs: matched client-side over the all-namespaces watch", async () => {
  const informer = await started(["team-*"]);
  expect(namespacesIn(informer)).toEqual(["team-a", "team-b"]);
  await createPod(kube.admin, "other", "glob-late");
  await createPod(kube.admin, "team-b", "glob-late");
  await waitFor("team-b late pod", () => informer.get("team-b", "glob-late"));
  expect(informer.get("other", "glob-late")).toBeUndefined();
});

test("all namespaces when none are named", async () => {
  const informer = await started([]);
  expect(namespacesIn(informer)).toEqual(["default", "other", "team-a", "team-b"]);
});
