// CRUD on core/v1 objects and the Status errors a real API server returns.
// Follows https://kubernetes.io/docs/reference/using-api/api-concepts/ (resource URIs, verbs, create/update
// semantics) and https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/ (Status shape).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, expectStatus, podManifest, startTestSim, type TestSim } from "./helpers.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

let t: TestSim;
beforeAll(async () => {
  t = await startTestSim();
});
afterAll(() => t.close());

const pods = "/api/v1/namespaces/default/pods";

describe("authentication (bearer tokens)", () => {
  test("a missing token is 401 with an Unauthorized Status", async () => {
    const { status, json } = await call(t.sim, "GET", pods, { token: null });
    expect(status).toBe(401);
    expectStatus(json, 401, "Unauthorized");
  });

  test("a wrong token is 401 too", async () => {
    const { status } = await call(t.sim, "GET", pods, { token: "not-the-token" });
    expect(status).toBe(401);
  });

  test("the read-only token may list but not create (403 Forbidden worded like RBAC)", async () => {
    expect((await call(t.sim, "GET", pods, { token: t.sim.readOnlyToken })).status).toBe(200);
    const { status, json } = await call(t.sim, "POST", pods, {
      token: t.sim.readOnlyToken,
      body: podManifest("ro"),
    });
    expect(status).toBe(403);
    expectStatus(json, 403, "Forbidden");
    expect(json.message).toContain(
      'cannot create resource "pods" in API group "" in the namespace "default"',
    );
  });

  test("public-info endpoints answer without a token", async () => {
    const { status, json } = await call(t.sim, "GET", "/version", { token: null });
    expect(status).toBe(200);
    expect(json.major).toBe("1");
  });
});

describe("discovery", () => {
  test("/api lists v1 and /api/v1 lists pods with their status subresource", async () => {
    expect((await call(t.sim, "GET", "/api")).json.versions).toEqual(["v1"]);
    const { json } = await call(t.sim, "GET", "/api/v1");
    const names = json.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(["pods", "pods/status", "endpoints", "events", "namespaces"]),
    );
  });
});

describe("pods", () => {
  test("create assigns uid, resourceVersion, creationTimestamp and phase Pending", async () => {
    const { status, json } = await call(t.sim, "POST", pods, { body: podManifest("web-1", { app: "web" }) });
    expect(status).toBe(201);
    expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(json.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(json.metadata.namespace).toBe("default");
    expect(json.status.phase).toBe("Pending");
    expect(json.spec.serviceAccountName).toBe("default");
  });

  test("creating the same name again is 409 AlreadyExists", async () => {
    const { status, json } = await call(t.sim, "POST", pods, { body: podManifest("web-1") });
    expect(status).toBe(409);
    expectStatus(json, 409, "AlreadyExists");
    expect(json.message).toBe('pods "web-1" already exists');
    expect(json.details).toEqual({ name: "web-1", kind: "pods" });
  });

  test("generateName gets a random 5-character suffix", async () => {
    const { json } = await call(t.sim, "POST", pods, {
      body: { metadata: { generateName: "gen-" }, spec: podManifest("x").spec },
    });
    expect(json.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test("get of a missing pod is 404 NotFound with details", async () => {
    const { status, json } = await call(t.sim, "GET", `${pods}/nope`);
    expect(status).toBe(404);
    expectStatus(json, 404, "NotFound");
    expect(json.message).toBe('pods "nope" not found');
  });

  test("creating in a namespace that does not exist is 404 for the namespace", async () => {
    const { status, json } = await call(t.sim, "POST", "/api/v1/namespaces/ghost/pods", {
      body: podManifest("p"),
    });
    expect(status).toBe(404);
    expect(json.details).toEqual({ name: "ghost", kind: "namespaces" });
  });

  test("an invalid pod is 422 Invalid with causes naming the fields", async () => {
    const { status, json } = await call(t.sim, "POST", pods, {
      body: { metadata: { name: "Bad_Name" }, spec: { containers: [] } },
    });
    expect(status).toBe(422);
    expectStatus(json, 422, "Invalid");
    const fields = json.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(["metadata.name", "spec.containers"]);
  });

  test("a mistyped metadata field is a 400 naming the field", async () => {
    const { status, json } = await call(t.sim, "POST", pods, {
      body: { metadata: { name: "typed", labels: { app: 7 } }, spec: podManifest("x").spec },
    });
    expect(status).toBe(400);
    expectStatus(json, 400, "BadRequest");
    expect(json.message).toContain("metadata.labels.app");
    const badDelete = await call(t.sim, "DELETE", `${pods}/web-1`, { body: { gracePeriodSeconds: "soon" } });
    expect(badDelete.status).toBe(400);
    expect(badDelete.json.message).toContain("gracePeriodSeconds");
  });

  test("a body of another kind or API version is a 400", async () => {
    const wrongKind = await call(t.sim, "POST", pods, { body: { ...podManifest("k"), kind: "Service" } });
    expect(wrongKind.status).toBe(400);
    const wrongVersion = await call(t.sim, "POST", pods, { body: { ...podManifest("k"), apiVersion: "v2" } });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.json.message).toContain("does not match the expected API version (v1)");
  });

  test("PUT with a stale resourceVersion is 409 Conflict; with the current one it updates", async () => {
    const current = (await call(t.sim, "GET", `${pods}/web-1`)).json;
    const updated = structuredClone(current);
    updated.metadata.labels.tier = "front";
    const ok = await call(t.sim, "PUT", `${pods}/web-1`, { body: updated });
    expect(ok.status).toBe(200);
    expect(Number(ok.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(current.metadata.resourceVersion),
    );
    expect(ok.json.metadata.uid).toBe(current.metadata.uid);
    const stale = await call(t.sim, "PUT", `${pods}/web-1`, { body: updated });
    expect(stale.status).toBe(409);
    expectStatus(stale.json, 409, "Conflict");
    expect(stale.json.message).toContain("the object has been modified");
  });

  test("an update that changes nothing keeps the resourceVersion", async () => {
    const current = (await call(t.sim, "GET", `${pods}/web-1`)).json;
    const again = await call(t.sim, "PUT", `${pods}/web-1`, { body: current });
    expect(again.json.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
  });

  test("pod spec is immutable apart from images (422 Forbidden cause)", async () => {
    const current = (await call(t.sim, "GET", `${pods}/web-1`)).json;
    current.spec.containers[0].image = "registry.example/app:2";
    expect((await call(t.sim, "PUT", `${pods}/web-1`, { body: current })).status).toBe(200);
    const fresh = (await call(t.sim, "GET", `${pods}/web-1`)).json;
    fresh.spec.containers[0].command = ["sh"];
    const refused = await call(t.sim, "PUT", `${pods}/web-1`, { body: fresh });
    expect(refused.status).toBe(422);
    expect(refused.json.details.causes[0].reason).toBe("FieldValueForbidden");
  });

  test("PUT on the main resource ignores status changes", async () => {
    const current = (await call(t.sim, "GET", `${pods}/web-1`)).json;
    current.status.phase = "Running";
    current.metadata.labels.touched = "yes";
    const { json } = await call(t.sim, "PUT", `${pods}/web-1`, { body: current });
    expect(json.status.phase).toBe("Pending");
    expect(json.metadata.labels.touched).toBe("yes");
  });

  test("DELETE returns the pod with deletionTimestamp; a delete precondition on uid is honoured", async () => {
    await call(t.sim, "POST", pods, { body: podManifest("doomed") });
    const refused = await call(t.sim, "DELETE", `${pods}/doomed`, {
      body: { preconditions: { uid: "other" } },
    });
    expect(refused.status).toBe(409);
    const { status, json } = await call(t.sim, "DELETE", `${pods}/doomed?gracePeriodSeconds=30`);
    expect(status).toBe(200);
    expect(json.kind).toBe("Pod");
    expect(json.metadata.deletionTimestamp).toBeString();
    expect((await call(t.sim, "GET", `${pods}/doomed`)).status).toBe(404);
  });

  test("creating through the all-namespaces path is 405", async () => {
    expect((await call(t.sim, "POST", "/api/v1/pods", { body: podManifest("x") })).status).toBe(405);
  });

  test("unknown resources are 404 Status", async () => {
    const { status, json } = await call(t.sim, "GET", "/api/v1/namespaces/default/widgets");
    expect(status).toBe(404);
    expect(json.kind).toBe("Status");
  });
});

describe("namespaces, endpoints and events", () => {
  test("namespace lifecycle: create (Active), get, list, delete removes its objects", async () => {
    const created = await call(t.sim, "POST", "/api/v1/namespaces", {
      body: { metadata: { name: "team-a" } },
    });
    expect(created.status).toBe(201);
    expect(created.json.status.phase).toBe("Active");
    expect(created.json.metadata.labels["kubernetes.io/metadata.name"]).toBe("team-a");
    await call(t.sim, "POST", "/api/v1/namespaces/team-a/pods", { body: podManifest("inside") });
    const list = await call(t.sim, "GET", "/api/v1/namespaces");
    expect(list.json.kind).toBe("NamespaceList");
    expect(list.json.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toContain("team-a");
    const deleted = await call(t.sim, "DELETE", "/api/v1/namespaces/team-a");
    expect(deleted.json.status.phase).toBe("Terminating");
    expect((await call(t.sim, "GET", "/api/v1/namespaces/team-a/pods/inside")).status).toBe(404);
    expect((await call(t.sim, "GET", "/api/v1/namespaces/team-a")).status).toBe(404);
  });

  test("the default namespace cannot be deleted", async () => {
    expect((await call(t.sim, "DELETE", "/api/v1/namespaces/default")).status).toBe(403);
  });

  test("endpoints CRUD; delete answers a Success Status", async () => {
    const path = "/api/v1/namespaces/default/endpoints";
    const body = {
      metadata: { name: "svc" },
      subsets: [{ addresses: [{ ip: "127.1.0.9" }], ports: [{ port: 80 }] }],
    };
    expect((await call(t.sim, "POST", path, { body })).status).toBe(201);
    const got = await call(t.sim, "GET", `${path}/svc`);
    expect(got.json.subsets[0].addresses[0].ip).toBe("127.1.0.9");
    const deleted = await call(t.sim, "DELETE", `${path}/svc`);
    expect(deleted.json).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name: "svc", kind: "endpoints" },
    });
  });

  test("events: create, patch count, list by involvedObject field selector", async () => {
    const path = "/api/v1/namespaces/default/events";
    const event = (name: string, podName: string) => ({
      metadata: { name },
      involvedObject: { kind: "Pod", namespace: "default", name: podName, uid: "u-1" },
      reason: "SecretPushFailed",
      message: "push refused",
      type: "Warning",
      count: 1,
      source: { component: "kubernetes-vault" },
    });
    expect((await call(t.sim, "POST", path, { body: event("e1", "web-1") })).status).toBe(201);
    expect((await call(t.sim, "POST", path, { body: event("e2", "other") })).status).toBe(201);
    const patched = await call(t.sim, "PATCH", `${path}/e1`, {
      body: { count: 2 },
      contentType: "application/strategic-merge-patch+json",
    });
    expect(patched.json.count).toBe(2);
    const selected = await call(
      t.sim,
      "GET",
      `${path}?fieldSelector=${encodeURIComponent("involvedObject.kind=Pod,involvedObject.name=web-1")}`,
    );
    expect(selected.json.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(["e1"]);
    const wrongNamespace = await call(t.sim, "POST", path, {
      body: { ...event("e3", "x"), involvedObject: { kind: "Pod", namespace: "kube-system", name: "x" } },
    });
    expect(wrongNamespace.status).toBe(422);
  });
});
