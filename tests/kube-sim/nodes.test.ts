// core/v1 Nodes as a kubelet registers and reports them.
// Follows https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/ (cluster-scoped, the
// nodes/status subresource, conditions and addresses), https://kubernetes.io/docs/concepts/architecture/nodes/
// (self-registration, the node.kubernetes.io/not-ready taint) and the answers kube-apiserver 1.37.2 gave to the
// same requests (taint and status defaults on create, a Success Status without `code` on delete).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, expectStatus, openWatch, useTestSim } from "./helpers.ts";

setDefaultTimeout(60_000);

const t = useTestSim();

const NODES = "/api/v1/nodes";
const node = (name: string) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name } },
});
const readyStatus = (heartbeat: string) => ({
  status: {
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "ready",
        lastHeartbeatTime: heartbeat,
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ],
    addresses: [
      { type: "InternalIP", address: "127.0.0.1" },
      { type: "Hostname", address: "node-a" },
    ],
  },
});

describe("nodes", () => {
  test("discovery lists nodes (cluster-scoped, short name no) and nodes/status", async () => {
    const { json } = await call(t.sim, "GET", "/api/v1");
    const byName = new Map(json.resources.map((r: { name: string }) => [r.name, r]));
    expect(byName.get("nodes")).toMatchObject({
      namespaced: false,
      kind: "Node",
      shortNames: ["no"],
      verbs: expect.arrayContaining(["create", "get", "list", "watch", "patch", "update", "delete"]),
    });
    expect(byName.get("nodes/status")).toMatchObject({ kind: "Node", verbs: ["get", "patch", "update"] });
  });

  test("a kubelet's registration: POST the Node, then a strategic-merge PATCH of nodes/status", async () => {
    const created = await call(t.sim, "POST", NODES, { body: node("node-a") });
    expect(created.status).toBe(201);
    expect(created.json.metadata.namespace).toBeUndefined();
    // TaintNodesByCondition: not ready until the node lifecycle controller says so.
    expect(created.json.spec.taints).toEqual([{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]);
    expect(created.json.status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 0 } });
    expect(created.json.status.nodeInfo.kubeletVersion).toBe("");

    const patch = (heartbeat: string) =>
      call(t.sim, "PATCH", `${NODES}/node-a/status`, {
        body: readyStatus(heartbeat),
        contentType: "application/strategic-merge-patch+json",
      });
    const first = await patch("2026-01-01T00:00:01Z");
    expect(first.status).toBe(200);
    expect(first.json.status.conditions).toHaveLength(1);
    expect(first.json.status.addresses).toHaveLength(2);
    // A heartbeat merges into the Ready condition by its type rather than adding one.
    const second = await patch("2026-01-01T00:00:02Z");
    expect(second.json.status.conditions).toEqual([
      expect.objectContaining({ type: "Ready", lastHeartbeatTime: "2026-01-01T00:00:02Z" }),
    ]);
    expect(Number(second.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(first.json.metadata.resourceVersion),
    );
  });

  test("the main resource ignores status; the status subresource takes it", async () => {
    const patched = await call(t.sim, "PATCH", `${NODES}/node-a`, {
      body: { metadata: { labels: { extra: "1" } }, status: { phase: "Gone" } },
      contentType: "application/merge-patch+json",
    });
    expect(patched.status).toBe(200);
    expect(patched.json.metadata.labels.extra).toBe("1");
    expect(patched.json.status.phase).toBeUndefined();
    const status = await call(t.sim, "PATCH", `${NODES}/node-a/status`, {
      body: { status: { phase: "Running" } },
      contentType: "application/merge-patch+json",
    });
    expect(status.json.status.phase).toBe("Running");
    expect(status.json.metadata.labels.extra).toBe("1");
  });

  test("get, list with field selectors (metadata.name, spec.unschedulable)", async () => {
    expect((await call(t.sim, "GET", `${NODES}/node-a`)).json.kind).toBe("Node");
    const byName = await call(t.sim, "GET", `${NODES}?fieldSelector=metadata.name%3Dnode-a`);
    expect(byName.json.kind).toBe("NodeList");
    expect(byName.json.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(["node-a"]);
    const schedulable = await call(t.sim, "GET", `${NODES}?fieldSelector=spec.unschedulable%3Dfalse`);
    expect(schedulable.json.items).toHaveLength(1);
    const cordoned = await call(t.sim, "GET", `${NODES}?fieldSelector=spec.unschedulable%3Dtrue`);
    expect(cordoned.json.items).toHaveLength(0);
  });

  test("refusals: the same name again (409), an invalid name (422), a namespaced path (404)", async () => {
    const again = await call(t.sim, "POST", NODES, { body: node("node-a") });
    expect(again.status).toBe(409);
    expectStatus(again.json, 409, "AlreadyExists");
    expect(again.json.message).toBe('nodes "node-a" already exists');
    const invalid = await call(t.sim, "POST", NODES, { body: node("Bad_Name") });
    expect(invalid.status).toBe(422);
    expect(invalid.json.message).toBe(
      "Node \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    const namespaced = await call(t.sim, "POST", "/api/v1/namespaces/default/nodes", { body: node("n2") });
    expect(namespaced.status).toBe(404);
  });

  test("watch sees the node come and go; DELETE answers a Success Status without a code", async () => {
    const watch = await openWatch(
      t.sim,
      `${NODES}?watch=true&resourceVersion=${t.sim.cluster.resourceVersion}`,
    );
    const created = await call(t.sim, "POST", NODES, { body: node("node-z") });
    const deleted = await call(t.sim, "DELETE", `${NODES}/node-z`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name: "node-z", kind: "nodes", uid: created.json.metadata.uid },
    });
    expect((await watch.next())?.type).toBe("ADDED");
    const gone = await watch.next();
    expect(gone?.type).toBe("DELETED");
    // Nodes have no graceful deletion: no deletionTimestamp on the way out.
    expect(gone?.object.metadata.deletionTimestamp).toBeUndefined();
    watch.close();
  });
});
