// pods/binding: how a scheduler (here: the kubelet stand-in, as there is none) puts a pod on a node.
// Follows https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/binding-v1/ ("create binding of
// a Pod": POST /api/v1/namespaces/{namespace}/pods/{name}/binding) and the answers kube-apiserver 1.37.2 gave to
// the same requests (201 Success Status; 409 "already assigned"; spec.nodeName immutable through PUT/PATCH).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, expectStatus, openWatch, podManifest, useTestSim } from "./helpers.ts";

setDefaultTimeout(60_000);

const t = useTestSim();

const PODS = "/api/v1/namespaces/default/pods";
const binding = (name: string, node: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Binding",
  metadata: { name, ...metadata },
  target: { apiVersion: "v1", kind: "Node", name: node },
});
const bind = (name: string, body: unknown, token?: string) =>
  call(t.sim, "POST", `${PODS}/${name}/binding`, { body, ...(token ? { token } : {}) });
const UPDATE_FORBIDDEN =
  "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

describe("pods/binding", () => {
  test("discovery lists pods/binding (kind Binding, create only)", async () => {
    const { json } = await call(t.sim, "GET", "/api/v1");
    expect(json.resources).toContainEqual({
      name: "pods/binding",
      singularName: "",
      namespaced: true,
      kind: "Binding",
      verbs: ["create"],
    });
  });

  test("binding sets spec.nodeName and PodScheduled, answers 201 with a Success Status, one MODIFIED event", async () => {
    const created = await call(t.sim, "POST", PODS, { body: podManifest("bind-me") });
    const watch = await openWatch(
      t.sim,
      `${PODS}?watch=true&fieldSelector=metadata.name%3Dbind-me&resourceVersion=${created.json.metadata.resourceVersion}`,
    );
    const answer = await bind(
      "bind-me",
      binding("bind-me", "node-a", { annotations: { "bound-by": "test" } }),
    );
    expect(answer.status).toBe(201);
    expect(answer.json).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      code: 201,
    });
    const event = await watch.next();
    expect(event?.type).toBe("MODIFIED");
    const pod = event?.object;
    expect(pod.spec.nodeName).toBe("node-a");
    expect(pod.metadata.annotations).toEqual({ "bound-by": "test" });
    expect(pod.metadata.generation).toBe(1);
    expect(pod.status.conditions).toEqual([
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: expect.any(String) },
    ]);
    watch.close();
  });

  test("a bound pod is 409 Conflict on pods/binding, worded as the real server words it", async () => {
    const again = await bind("bind-me", binding("bind-me", "node-b"));
    expect(again.status).toBe(409);
    expectStatus(again.json, 409, "Conflict");
    expect(again.json.message).toBe(
      'Operation cannot be fulfilled on pods/binding "bind-me": pod bind-me is already assigned to node "node-a"',
    );
    expect(again.json.details).toEqual({ name: "bind-me", kind: "pods/binding" });
  });

  test("a missing pod is 404; a name unlike the URL's is 400", async () => {
    const gone = await bind("gone", binding("gone", "node-a"));
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({
      message: 'pods "gone" not found',
      details: { name: "gone", kind: "pods" },
    });
    const mismatch = await bind("bind-me", binding("other", "node-a"));
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.message).toBe("name in URL does not match name in Binding object");
  });

  test("the Binding's uid is a precondition; a target that is no Node is refused", async () => {
    await call(t.sim, "POST", PODS, { body: podManifest("bind-uid") });
    const stale = await bind("bind-uid", binding("bind-uid", "node-a", { uid: "0000" }));
    expect(stale.status).toBe(409);
    expect(stale.json.message).toStartWith(
      'Operation cannot be fulfilled on pods "bind-uid": StorageError: invalid object, Code: 4, Key: /registry/pods/default/bind-uid, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 0000, UID in object meta: ',
    );
    const notNode = await bind("bind-uid", {
      ...binding("bind-uid", "x"),
      target: { kind: "Pod", name: "x" },
    });
    // ValidatePodBinding's errors reach the client unwrapped: 500 with their text.
    expect(notNode.status).toBe(500);
    expect(notNode.json.message).toBe(
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
    );
    const noName = await bind("bind-uid", { ...binding("bind-uid", "x"), target: {} });
    expect(noName.json.message).toBe("target.name: Required value");
    expect((await call(t.sim, "GET", `${PODS}/bind-uid`)).json.spec.nodeName).toBeUndefined();
  });

  test("spec.nodeName is immutable through PUT and PATCH (422, ValidatePodUpdate's wording)", async () => {
    const bound = (await call(t.sim, "GET", `${PODS}/bind-me`)).json;
    const moved = await call(t.sim, "PUT", `${PODS}/bind-me`, {
      body: { ...bound, spec: { ...bound.spec, nodeName: "node-b" } },
    });
    expect(moved.status).toBe(422);
    expect(moved.json.message).toStartWith(`Pod "bind-me" is invalid: ${UPDATE_FORBIDDEN}`);
    // Setting it on an unbound pod is no way around pods/binding either.
    const patched = await call(t.sim, "PATCH", `${PODS}/bind-uid`, {
      body: { spec: { nodeName: "node-a" } },
      contentType: "application/merge-patch+json",
    });
    expect(patched.status).toBe(422);
    expect(patched.json.details.causes).toEqual([
      { reason: "FieldValueForbidden", field: "spec", message: UPDATE_FORBIDDEN.replace("spec: ", "") },
    ]);
  });

  test("a pod being deleted cannot be bound; GET on binding is 405; the read-only identity may not bind", async () => {
    await call(t.sim, "POST", PODS, {
      body: podManifest(
        "leaving",
        {},
        { spec: { nodeName: "node-a", containers: [{ name: "a", image: "i" }] } },
      ),
    });
    expect((await call(t.sim, "GET", `${PODS}/bind-me/binding`)).status).toBe(405);
    const refused = await bind("bind-uid", binding("bind-uid", "node-a"), t.sim.readOnlyToken);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toContain('cannot create resource "pods/binding" in API group ""');
    // A bound pod's DELETE is graceful: it stays, marked, and a binding of it is refused for that reason first.
    await call(t.sim, "DELETE", `${PODS}/leaving`);
    const marked = (await call(t.sim, "GET", `${PODS}/leaving`)).json;
    expect(marked.metadata.deletionTimestamp).toBeString();
    const late = await bind("leaving", binding("leaving", "node-b"));
    expect(late.status).toBe(409);
    expect(late.json.message).toBe(
      'Operation cannot be fulfilled on pods/binding "leaving": pod leaving is being deleted, cannot be assigned to a host',
    );
  });
});
