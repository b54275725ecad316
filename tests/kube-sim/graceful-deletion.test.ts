// Graceful deletion of pods, and DeleteOptions preconditions.
// Follows https://kubernetes.io/docs/concepts/workloads/pods/pod-termination/ (a deleted pod bound to a node is
// marked with deletionTimestamp and its grace period and stays until its kubelet finishes; a force deletion, grace
// 0, removes it), https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/delete-options/
// (gracePeriodSeconds, preconditions) and the answers and watch events kube-apiserver 1.37.2 gave to the same
// requests: an unbound pod is removed at once (a MODIFIED event with grace 0, then DELETED), a later DELETE may only
// shorten the grace, preconditions fail with BeforeDelete's wording.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, expectStatus, openWatch, podManifest, useTestSim, type WatchReader } from "./helpers.ts";

setDefaultTimeout(60_000);

const t = useTestSim();

const PODS = "/api/v1/namespaces/default/pods";
const boundPod = (name: string, spec: Record<string, unknown> = {}) =>
  podManifest(name, {}, { spec: { nodeName: "node-a", containers: [{ name: "app", image: "i" }], ...spec } });
const deleteOptions = (options: Record<string, unknown>) => ({
  body: { apiVersion: "v1", kind: "DeleteOptions", ...options },
});

async function watchPod(name: string): Promise<WatchReader> {
  return openWatch(
    t.sim,
    `${PODS}?watch=true&fieldSelector=metadata.name%3D${name}&resourceVersion=${t.sim.cluster.resourceVersion}`,
  );
}

/** Seconds from now until the RFC 3339 time (second precision, so within a second of the grace). */
const secondsUntil = (time: string) => (Date.parse(time) - Date.now()) / 1000;

describe("deleting a pod no node runs", () => {
  test("is immediate: 200 with the pod marked (grace 0), a MODIFIED then a DELETED event", async () => {
    await call(t.sim, "POST", PODS, { body: podManifest("unbound") });
    const watch = await watchPod("unbound");
    const deleted = await call(t.sim, "DELETE", `${PODS}/unbound`);
    expect(deleted.status).toBe(200);
    expect(deleted.json.kind).toBe("Pod");
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(Math.abs(secondsUntil(deleted.json.metadata.deletionTimestamp))).toBeLessThan(2);
    expect((await call(t.sim, "GET", `${PODS}/unbound`)).status).toBe(404);
    const marked = await watch.next();
    expect(marked?.type).toBe("MODIFIED");
    expect(marked?.object.metadata).toMatchObject({ deletionGracePeriodSeconds: 0, generation: 2 });
    const gone = await watch.next();
    expect(gone?.type).toBe("DELETED");
    expect(gone?.object.metadata.resourceVersion).toBe(deleted.json.metadata.resourceVersion);
    watch.close();
  });

  test("a finished pod (Succeeded) is deleted at once too, even when bound", async () => {
    await call(t.sim, "POST", PODS, { body: boundPod("done") });
    await call(t.sim, "PATCH", `${PODS}/done/status`, {
      body: { status: { phase: "Succeeded" } },
      contentType: "application/merge-patch+json",
    });
    const deleted = await call(t.sim, "DELETE", `${PODS}/done`);
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(0);
    expect((await call(t.sim, "GET", `${PODS}/done`)).status).toBe(404);
  });
});

describe("deleting a pod bound to a node", () => {
  let uid = "";

  test("marks it (deletionTimestamp = now + 30 s by default) and keeps it: 200 with the pod, one MODIFIED event", async () => {
    uid = (await call(t.sim, "POST", PODS, { body: boundPod("bound") })).json.metadata.uid;
    const watch = await watchPod("bound");
    const deleted = await call(t.sim, "DELETE", `${PODS}/bound`);
    expect(deleted.status).toBe(200);
    const metadata = deleted.json.metadata;
    expect(metadata.deletionGracePeriodSeconds).toBe(30);
    expect(secondsUntil(metadata.deletionTimestamp)).toBeGreaterThan(27);
    expect(secondsUntil(metadata.deletionTimestamp)).toBeLessThanOrEqual(30);
    expect(metadata.generation).toBe(2);
    const stored = await call(t.sim, "GET", `${PODS}/bound`);
    expect(stored.status).toBe(200);
    expect(stored.json.metadata.deletionTimestamp).toBe(metadata.deletionTimestamp);
    const event = await watch.next();
    expect(event?.type).toBe("MODIFIED");
    expect(event?.object.metadata.deletionGracePeriodSeconds).toBe(30);
    watch.close();
  });

  test("a longer grace (or none) changes nothing; a shorter one moves deletionTimestamp earlier", async () => {
    const before = (await call(t.sim, "GET", `${PODS}/bound`)).json.metadata;
    const longer = await call(t.sim, "DELETE", `${PODS}/bound?gracePeriodSeconds=60`);
    expect(longer.status).toBe(200);
    expect(longer.json.metadata).toMatchObject({
      resourceVersion: before.resourceVersion,
      deletionGracePeriodSeconds: 30,
    });
    expect((await call(t.sim, "DELETE", `${PODS}/bound`)).json.metadata.resourceVersion).toBe(
      before.resourceVersion,
    );
    const shorter = await call(t.sim, "DELETE", `${PODS}/bound`, deleteOptions({ gracePeriodSeconds: 10 }));
    expect(shorter.json.metadata.deletionGracePeriodSeconds).toBe(10);
    expect(Date.parse(before.deletionTimestamp) - Date.parse(shorter.json.metadata.deletionTimestamp)).toBe(
      20_000,
    );
    // Only the start of deletion bumps the generation.
    expect(shorter.json.metadata.generation).toBe(2);
  });

  test("the name stays taken while the pod terminates", async () => {
    const again = await call(t.sim, "POST", PODS, { body: boundPod("bound") });
    expect(again.status).toBe(409);
    expectStatus(again.json, 409, "AlreadyExists");
    expect(again.json.message).toBe('object is being deleted: pods "bound" already exists');
  });

  test("preconditions: a wrong uid or resourceVersion is 409 Conflict in BeforeDelete's words", async () => {
    const wrongUid = await call(
      t.sim,
      "DELETE",
      `${PODS}/bound`,
      deleteOptions({ gracePeriodSeconds: 0, preconditions: { uid: "0000" } }),
    );
    expect(wrongUid.status).toBe(409);
    expectStatus(wrongUid.json, 409, "Conflict");
    expect(wrongUid.json.message).toBe(
      `Operation cannot be fulfilled on Pod "bound": the UID in the precondition (0000) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
    );
    expect(wrongUid.json.details).toEqual({ name: "bound", kind: "Pod" });
    const current = (await call(t.sim, "GET", `${PODS}/bound`)).json.metadata.resourceVersion;
    const wrongVersion = await call(
      t.sim,
      "DELETE",
      `${PODS}/bound`,
      deleteOptions({ preconditions: { resourceVersion: "1" } }),
    );
    expect(wrongVersion.json.message).toBe(
      `Operation cannot be fulfilled on Pod "bound": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${current}). The object might have been modified`,
    );
    expect((await call(t.sim, "GET", `${PODS}/bound`)).status).toBe(200);
  });

  test("the node's final DELETE (grace 0, uid precondition) removes it: MODIFIED (grace 0), then DELETED", async () => {
    const watch = await watchPod("bound");
    const finished = await call(
      t.sim,
      "DELETE",
      `${PODS}/bound`,
      deleteOptions({ gracePeriodSeconds: 0, preconditions: { uid } }),
    );
    expect(finished.status).toBe(200);
    expect(finished.json.metadata.deletionGracePeriodSeconds).toBe(0);
    expect((await call(t.sim, "GET", `${PODS}/bound`)).status).toBe(404);
    expect((await watch.next())?.object.metadata.deletionGracePeriodSeconds).toBe(0);
    expect((await watch.next())?.type).toBe("DELETED");
    watch.close();
  });

  test("the grace comes from DeleteOptions, else spec.terminationGracePeriodSeconds; a negative one means 1 s", async () => {
    await call(t.sim, "POST", PODS, { body: boundPod("own-grace", { terminationGracePeriodSeconds: 7 }) });
    expect((await call(t.sim, "DELETE", `${PODS}/own-grace`)).json.metadata.deletionGracePeriodSeconds).toBe(
      7,
    );
    await call(t.sim, "POST", PODS, { body: boundPod("negative") });
    const negative = await call(t.sim, "DELETE", `${PODS}/negative?gracePeriodSeconds=-5`);
    expect(negative.json.metadata.deletionGracePeriodSeconds).toBe(1);
    // A DeleteOptions body wins over the query, as the real handler reads only one of them.
    await call(t.sim, "POST", PODS, { body: boundPod("body-wins") });
    const fromBody = await call(
      t.sim,
      "DELETE",
      `${PODS}/body-wins?gracePeriodSeconds=0`,
      deleteOptions({ gracePeriodSeconds: 12 }),
    );
    expect(fromBody.json.metadata.deletionGracePeriodSeconds).toBe(12);
  });

  test("a terminating pod still takes status reports; deleting its namespace removes it at once", async () => {
    await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "leaving" } } });
    const path = "/api/v1/namespaces/leaving/pods";
    await call(t.sim, "POST", path, { body: boundPod("stays") });
    await call(t.sim, "DELETE", `${path}/stays`);
    const status = await call(t.sim, "PATCH", `${path}/stays/status`, {
      body: { status: { phase: "Running" } },
      contentType: "application/merge-patch+json",
    });
    expect(status.status).toBe(200);
    expect(status.json.metadata.deletionTimestamp).toBeString();
    await call(t.sim, "DELETE", "/api/v1/namespaces/leaving");
    expect((await call(t.sim, "GET", `${path}/stays`)).status).toBe(404);
  });
});

describe("preconditions on types without graceful deletion", () => {
  test("name the Kind, as BeforeDelete does for every type", async () => {
    await call(t.sim, "POST", "/api/v1/namespaces/default/serviceaccounts", {
      body: { metadata: { name: "sa-x" } },
    });
    const refused = await call(
      t.sim,
      "DELETE",
      "/api/v1/namespaces/default/serviceaccounts/sa-x",
      deleteOptions({ preconditions: { uid: "0000" } }),
    );
    expect(refused.status).toBe(409);
    expect(refused.json.message).toStartWith(
      'Operation cannot be fulfilled on ServiceAccount "sa-x": the UID in the precondition (0000) does not match',
    );
    const deleted = await call(t.sim, "DELETE", "/api/v1/namespaces/default/serviceaccounts/sa-x");
    expect(deleted.status).toBe(200);
    // No graceful phase: removed at once, with no deletion fields.
    expect(deleted.json.metadata.deletionTimestamp).toBeUndefined();
  });
});
