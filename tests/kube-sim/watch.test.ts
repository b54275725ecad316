// Watch semantics. Follows https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
// (watch from a resourceVersion, 410 Gone once history is compacted), #watch-bookmarks, and
// https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-watch (resourceVersion unset/"0"/N).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, openWatch, podManifest, startTestSim, type TestSim, type WatchReader } from "./helpers.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

let t: TestSim;
const open: WatchReader[] = [];
beforeAll(async () => {
  t = await startTestSim({ bookmarkIntervalMs: 300 });
});
afterAll(async () => {
  for (const watch of open) watch.close();
  await t.close();
});

const pods = "/api/v1/namespaces/default/pods";
async function watch(query: string, base = pods): Promise<WatchReader> {
  const reader = await openWatch(t.sim, `${base}?watch=true&${query}`);
  open.push(reader);
  return reader;
}
async function eventsUntil(reader: WatchReader, count: number, skipBookmarks = true) {
  const events = [];
  while (events.length < count) {
    const event = await reader.next();
    if (!event) break;
    if (skipBookmarks && event.type === "BOOKMARK") continue;
    events.push(event);
  }
  return events;
}
const summary = (events: { type: string; object: { metadata: { name: string } } }[]) =>
  events.map((e) => `${e.type} ${e.object.metadata.name}`);

describe("watch", () => {
  test("from a resourceVersion: every later change, in order", async () => {
    const created = await call(t.sim, "POST", pods, { body: podManifest("w1", { app: "web" }) });
    const from = created.json.metadata.resourceVersion;
    await call(t.sim, "POST", pods, { body: podManifest("w2", { app: "web" }) });
    await call(t.sim, "PATCH", `${pods}/w1`, {
      body: { metadata: { labels: { v: "2" } } },
      contentType: "application/merge-patch+json",
    });
    await call(t.sim, "DELETE", `${pods}/w2`);
    const reader = await watch(`resourceVersion=${from}`);
    expect(reader.status).toBe(200);
    const events = await eventsUntil(reader, 4);
    // Deleting a pod marks it first (deletionTimestamp, grace 0 for an unbound pod), then removes it, as
    // kube-apiserver 1.37 does: a MODIFIED event before the DELETED one.
    expect(summary(events)).toEqual(["ADDED w2", "MODIFIED w1", "MODIFIED w2", "DELETED w2"]);
    const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    // Live changes follow the replay.
    await call(t.sim, "POST", pods, { body: podManifest("w3") });
    expect(summary(await eventsUntil(reader, 1))).toEqual(["ADDED w3"]);
    reader.close();
  });

  test("without a resourceVersion: synthetic ADDED events for what exists", async () => {
    const reader = await watch("labelSelector=app%3Dweb");
    expect(summary(await eventsUntil(reader, 1))).toEqual(["ADDED w1"]);
    reader.close();
  });

  test("objects entering or leaving a selector are ADDED / DELETED", async () => {
    const reader = await watch(`labelSelector=app%3Dweb&resourceVersion=${t.sim.cluster.resourceVersion}`);
    await call(t.sim, "PATCH", `${pods}/w1`, {
      body: { metadata: { labels: { app: "other" } } },
      contentType: "application/merge-patch+json",
    });
    await call(t.sim, "PATCH", `${pods}/w1`, {
      body: { metadata: { labels: { app: "web" } } },
      contentType: "application/merge-patch+json",
    });
    expect(summary(await eventsUntil(reader, 2))).toEqual(["DELETED w1", "ADDED w1"]);
    reader.close();
  });

  test("bookmarks carry only the current resourceVersion", async () => {
    const reader = await watch(`allowWatchBookmarks=true&resourceVersion=${t.sim.cluster.resourceVersion}`);
    const event = await reader.next();
    expect(event?.type).toBe("BOOKMARK");
    expect(event?.object).toEqual({
      kind: "Pod",
      apiVersion: "v1",
      metadata: { resourceVersion: String(t.sim.cluster.resourceVersion) },
    });
    reader.close();
  });

  test("sendInitialEvents ends the initial ADDED events with an annotated bookmark", async () => {
    const reader = await watch(
      "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
    );
    const events = [];
    for (;;) {
      const event = await reader.next();
      if (!event) break;
      events.push(event);
      if (event.type === "BOOKMARK") break;
    }
    expect(events.at(-1)?.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    expect(events.slice(0, -1).every((e) => e.type === "ADDED")).toBe(true);
    reader.close();
  });

  test("a compacted resourceVersion gives one ERROR event with a 410 Expired Status, then the stream ends", async () => {
    const old = t.sim.cluster.resourceVersion;
    await call(t.sim, "POST", pods, { body: podManifest("w4") });
    t.sim.compactAll();
    const reader = await watch(`resourceVersion=${old - 1}`);
    expect(reader.status).toBe(200);
    const error = await reader.next();
    expect(error?.type).toBe("ERROR");
    expect(error?.object).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      code: 410,
      reason: "Expired",
    });
    expect(await reader.next()).toBeUndefined();
    // The current version is still watchable.
    const fresh = await watch(`resourceVersion=${t.sim.cluster.resourceVersion}`);
    await call(t.sim, "DELETE", `${pods}/w4`);
    expect(summary(await eventsUntil(fresh, 2))).toEqual(["MODIFIED w4", "DELETED w4"]);
    fresh.close();
  });

  test("history is a bounded window: falling out of it is 410 as well", async () => {
    const small = await startTestSim({ historyLimit: 3 });
    try {
      const start = small.sim.cluster.resourceVersion;
      for (let i = 0; i < 5; i++) await call(small.sim, "POST", pods, { body: podManifest(`h${i}`) });
      const reader = await openWatch(small.sim, `${pods}?watch=1&resourceVersion=${start}`);
      expect((await reader.next())?.object.code).toBe(410);
      reader.close();
      small.sim.cluster.assertInvariants();
    } finally {
      await small.close();
    }
  });

  test("timeoutSeconds ends the stream (after a final bookmark when bookmarks are allowed)", async () => {
    const reader = await watch(
      `timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion=${t.sim.cluster.resourceVersion}`,
    );
    const seen = [];
    for (;;) {
      const event = await reader.next();
      if (!event) break;
      seen.push(event.type);
    }
    expect(seen.at(-1)).toBe("BOOKMARK");
  });

  test("cutWatches() ends every open stream", async () => {
    const a = await watch(`resourceVersion=${t.sim.cluster.resourceVersion}`);
    const b = await watch("", "/api/v1/namespaces");
    await eventsUntil(b, 1);
    expect(t.sim.openWatches()).toBeGreaterThanOrEqual(2);
    t.sim.cutWatches();
    expect(await a.next()).toBeUndefined();
    for (;;) if (!(await b.next())) break;
    expect(t.sim.openWatches()).toBe(0);
  });

  test("the legacy /api/v1/watch/... path watches a single object", async () => {
    await call(t.sim, "POST", pods, { body: podManifest("single") });
    await call(t.sim, "POST", pods, { body: podManifest("single-not") });
    const reader = await openWatch(t.sim, "/api/v1/watch/namespaces/default/pods/single");
    open.push(reader);
    expect(summary(await eventsUntil(reader, 1))).toEqual(["ADDED single"]);
    await call(t.sim, "DELETE", `${pods}/single-not`);
    await call(t.sim, "DELETE", `${pods}/single`);
    expect(summary(await eventsUntil(reader, 2))).toEqual(["MODIFIED single", "DELETED single"]);
    reader.close();
  });

  test("a malformed resourceVersion is a 400 before any stream", async () => {
    const { status } = await call(t.sim, "GET", `${pods}?watch=true&resourceVersion=abc`);
    expect(status).toBe(400);
  });
});
