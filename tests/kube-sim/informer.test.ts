// @kubernetes/client-node 1.4.0's informer (list + watch) against the stand-in over HTTPS with a private CA and a
// bearer token read from a file, configured the way loadFromCluster() configures in-cluster service-account auth.
// Follows https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes (re-watch from
// the last resourceVersion after a dropped connection; re-list after 410 Gone) and
// https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/ (service-account token + CA).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import path from "node:path";
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from "@kubernetes/client-node";
import { waitFor } from "../support/wait.ts";
import { call, podManifest, startTestSim, type TestSim } from "./helpers.ts";
import { writeServiceAccount } from "./informer-support.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

let t: TestSim;
let informer: ReturnType<typeof makeInformer<V1Pod>>;
const seen: string[] = [];
let lists = 0;
let connects = 0;
const errors: unknown[] = [];

beforeAll(async () => {
  t = await startTestSim();
  const { caFile, tokenFile } = await writeServiceAccount(t.sim, path.join(t.dir, "pod-root"));
  const config = new KubeConfig();
  // The cluster and user loadFromCluster() builds, minus its reading of KUBERNETES_SERVICE_HOST from the env.
  config.loadFromClusterAndUser(
    { name: "inCluster", server: t.sim.server, caFile, skipTLSVerify: false },
    { name: "inClusterUser", authProvider: { name: "tokenFile", config: { tokenFile } } },
  );
  const api = config.makeApiClient(CoreV1Api);
  informer = makeInformer(config, "/api/v1/namespaces/default/pods", () => {
    lists++;
    return api.listNamespacedPod({ namespace: "default" });
  });
  informer.on("add", (pod) => seen.push(`add ${pod.metadata?.name}`));
  informer.on("update", (pod) => seen.push(`update ${pod.metadata?.name}`));
  informer.on("delete", (pod) => seen.push(`delete ${pod.metadata?.name}`));
  informer.on("connect", () => connects++);
  informer.on("error", (error) => errors.push(error));
  await informer.start();
});
let finished = false;
afterAll(async () => {
  finished = true;
  await informer.stop();
  await t.close();
});

const pods = "/api/v1/namespaces/default/pods";

test("sees ADD, UPDATE and DELETE over HTTPS with the CA and token", async () => {
  await call(t.sim, "POST", pods, { body: podManifest("inf-a") });
  await waitFor("add inf-a", () => seen.includes("add inf-a"));
  await call(t.sim, "PATCH", `${pods}/inf-a`, {
    body: { metadata: { labels: { v: "2" } } },
    contentType: "application/merge-patch+json",
  });
  await waitFor("update inf-a", () => seen.includes("update inf-a"));
  expect(informer.get("inf-a", "default")?.metadata?.labels?.v).toBe("2");
  await call(t.sim, "DELETE", `${pods}/inf-a`);
  await waitFor("delete inf-a", () => seen.includes("delete inf-a"));
  expect(informer.list("default")).toHaveLength(0);
  expect(errors).toEqual([]);
}, 90_000);

test("recovers from cut watches by re-watching from its resourceVersion (no re-list)", async () => {
  const listsBefore = lists;
  const connectsBefore = connects;
  t.sim.cutWatches();
  await waitFor("a re-connect", () => connects > connectsBefore && t.sim.openWatches() > 0);
  await call(t.sim, "POST", pods, { body: podManifest("inf-b") });
  await waitFor("add inf-b", () => seen.includes("add inf-b"));
  expect(lists).toBe(listsBefore);
}, 90_000);

test("recovers from compaction: 410 on re-watch, then a re-list, and the cache is still right", async () => {
  const listsBefore = lists;
  // Move the cluster's revision on (another type), compact, then drop the watch: the informer's pod
  // resourceVersion is now older than the retained history.
  await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "bump" } } });
  t.sim.compactAll();
  t.sim.cutWatches();
  await waitFor("a re-list after 410", () => lists > listsBefore);
  await call(t.sim, "POST", pods, { body: podManifest("inf-c") });
  await waitFor("add inf-c", () => seen.includes("add inf-c"));
  expect(
    informer
      .list("default")
      .map((pod) => pod.metadata?.name)
      .sort(),
  ).toEqual(["inf-b", "inf-c"]);
  expect(errors).toEqual([]);
}, 90_000);

test("survives an API server outage: errors while it is away, resumes when it is back", async () => {
  // client-node informers stop on errors; their owners restart them (as lib/kube and the kubelet do).
  informer.on("error", () =>
    setTimeout(() => {
      if (!finished) void informer.start();
    }, 200),
  );
  const errorsBefore = errors.length;
  await t.sim.setOnline(false);
  await waitFor("the informer to notice the outage", () => errors.length > errorsBefore);
  await t.sim.setOnline(true);
  await call(t.sim, "POST", pods, { body: podManifest("inf-d") });
  await waitFor("add inf-d", () => seen.includes("add inf-d"));
  expect(
    informer
      .list("default")
      .map((pod) => pod.metadata?.name)
      .sort(),
  ).toEqual(["inf-b", "inf-c", "inf-d"]);
}, 90_000);
