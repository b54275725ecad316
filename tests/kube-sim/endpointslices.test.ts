// discovery.k8s.io/v1 EndpointSlices on the API stand-in: group discovery, CRUD with the generic machinery (label
// selectors, resourceVersion, 409, 410, bookmarks), EndpointSlice validation, errors naming the qualified resource,
// @kubernetes/client-node's DiscoveryV1Api, and the deprecation warning a 1.33+ server sends for v1 Endpoints
// (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoint-slice-v1/,
// https://kubernetes.io/blog/2025/04/24/endpoints-deprecation/).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { DiscoveryV1Api, KubeConfig } from "@kubernetes/client-node";
import { call, openWatch, startTestSim, type TestSim } from "./helpers.ts";

setDefaultTimeout(60_000);

const GROUP = "/apis/discovery.k8s.io/v1";
const SLICES = `${GROUP}/namespaces/default/endpointslices`;
const ENDPOINTS_WARNING =
  '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"';

function slice(name: string, service: string, ips: string[], addressType = "IPv4") {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, labels: { "kubernetes.io/service-name": service } },
    addressType,
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: "gossip", port: 45678, protocol: "UDP" }],
  };
}

let t: TestSim;
beforeAll(async () => {
  t = await startTestSim({ bookmarkIntervalMs: 200 });
});
afterAll(() => t.close());

describe("discovery", () => {
  test("/apis lists discovery.k8s.io/v1; the group and its version have their documents", async () => {
    const groups = (await call(t.sim, "GET", "/apis")).json;
    expect(groups).toMatchObject({ kind: "APIGroupList" });
    expect(groups.groups).toEqual([
      {
        name: "discovery.k8s.io",
        versions: [{ groupVersion: "discovery.k8s.io/v1", version: "v1" }],
        preferredVersion: { groupVersion: "discovery.k8s.io/v1", version: "v1" },
      },
    ]);
    expect((await call(t.sim, "GET", "/apis/discovery.k8s.io")).json).toMatchObject({
      kind: "APIGroup",
      name: "discovery.k8s.io",
    });
    const resources = (await call(t.sim, "GET", GROUP)).json;
    expect(resources).toMatchObject({ kind: "APIResourceList", groupVersion: "discovery.k8s.io/v1" });
    expect(resources.resources).toEqual([
      expect.objectContaining({ name: "endpointslices", kind: "EndpointSlice", namespaced: true }),
    ]);
    const core = (await call(t.sim, "GET", "/api/v1")).json.resources.map((r: { name: string }) => r.name);
    expect(core).not.toContain("endpointslices");
  });

  test("unknown groups, versions and resources are 404; core resources are not served under a group", async () => {
    for (const path of [
      "/apis/apps",
      "/apis/discovery.k8s.io/v1beta1",
      `${GROUP}/namespaces/default/pods`,
      `${GROUP}/namespaces/default`,
    ])
      expect({ path, status: (await call(t.sim, "GET", path)).status }).toEqual({ path, status: 404 });
  });
});

describe("EndpointSlice CRUD", () => {
  test("create (generateName, defaults), get, list by label across namespaces, delete", async () => {
    const created = await call(t.sim, "POST", SLICES, {
      body: {
        metadata: { generateName: "svc-a-", labels: { "kubernetes.io/service-name": "svc-a" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["127.3.0.1"] }],
        ports: [{ port: 8080 }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice" });
    expect(created.json.metadata.name).toMatch(/^svc-a-[a-z0-9]{5}$/);
    // SetDefaults_EndpointPort; the loopback address is accepted (a real server refuses it, see the README).
    expect(created.json.ports).toEqual([{ port: 8080, name: "", protocol: "TCP" }]);
    const name = created.json.metadata.name;
    expect(
      (await call(t.sim, "POST", SLICES, { body: slice("svc-b-1", "svc-b", ["10.0.0.2"]) })).status,
    ).toBe(201);

    const listed = await call(
      t.sim,
      "GET",
      `${GROUP}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dsvc-a`,
    );
    expect(listed.json).toMatchObject({ kind: "EndpointSliceList", apiVersion: "discovery.k8s.io/v1" });
    expect(listed.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([name]);
    expect(listed.headers.get("warning")).toBeNull();

    const gone = await call(t.sim, "DELETE", `${SLICES}/${name}`);
    expect(gone.json).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name, group: "discovery.k8s.io", kind: "endpointslices" },
    });
    const missing = await call(t.sim, "GET", `${SLICES}/${name}`);
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe(`endpointslices.discovery.k8s.io "${name}" not found`);
    expect(missing.json.details).toEqual({ name, group: "discovery.k8s.io", kind: "endpointslices" });
  });

  test("update needs the current resourceVersion; a strategic patch replaces the atomic endpoints list", async () => {
    const created = (
      await call(t.sim, "POST", SLICES, { body: slice("upd", "svc-u", ["10.0.1.1", "10.0.1.2"]) })
    ).json;
    const stale = await call(t.sim, "PUT", `${SLICES}/upd`, {
      body: {
        ...slice("upd", "svc-u", ["10.0.1.3"]),
        metadata: { ...created.metadata, resourceVersion: "1" },
      },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toContain(
      'Operation cannot be fulfilled on endpointslices.discovery.k8s.io "upd"',
    );
    const patched = await call(t.sim, "PATCH", `${SLICES}/upd`, {
      contentType: "application/strategic-merge-patch+json",
      body: { endpoints: [{ addresses: ["10.0.1.9"] }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.endpoints).toEqual([{ addresses: ["10.0.1.9"] }]);
    expect(Number(patched.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
  });

  test("validation: addressType required, supported and immutable; addresses valid for it; unique port names", async () => {
    const invalid = async (body: unknown, method = "POST", path = SLICES) => {
      const answer = await call(t.sim, method, path, { body });
      expect(answer.status).toBe(422);
      return answer.json.details.causes.map(
        (c: { field: string; message: string }) => `${c.field}: ${c.message}`,
      );
    };
    const base = slice("v", "svc-v", ["10.0.2.1"]);
    expect(await invalid({ ...base, addressType: undefined })).toEqual(["addressType: Required value"]);
    expect(await invalid({ ...base, addressType: "IP" })).toEqual([
      'addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
    expect(await invalid({ ...base, endpoints: [{ addresses: ["fd00::1"] }, { addresses: [] }] })).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
      "endpoints[1].addresses: Required value: must contain at least 1 address",
    ]);
    expect(
      await invalid({
        ...base,
        ports: [
          { name: "a", port: 1, protocol: "TCP" },
          { name: "a", port: 2, protocol: "HTTP" },
        ],
      }),
    ).toEqual([
      'ports[1].name: Duplicate value: "a"',
      'ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]);
    expect((await call(t.sim, "POST", SLICES, { body: base })).status).toBe(201);
    expect(await invalid({ ...slice("v", "svc-v", ["fd00::1"], "IPv6") }, "PUT", `${SLICES}/v`)).toEqual([
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
    const wrongVersion = await call(t.sim, "POST", SLICES, { body: { ...base, apiVersion: "v1" } });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.json.message).toContain(
      "does not match the expected API version (discovery.k8s.io/v1)",
    );
  });

  test("the read-only identity may list but not write, refused in the group's words", async () => {
    expect((await call(t.sim, "GET", SLICES, { token: t.sim.readOnlyToken })).status).toBe(200);
    const refused = await call(t.sim, "POST", SLICES, {
      token: t.sim.readOnlyToken,
      body: slice("ro", "s", []),
    });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe(
      `endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:kube-system:kube-sim-reader" cannot create resource "endpointslices" in API group "discovery.k8s.io" in the namespace "default"`,
    );
  });
});

describe("EndpointSlice watches", () => {
  test("a label-selected watch from a resourceVersion sees ADDED/MODIFIED/DELETED and bookmarks", async () => {
    const start = (await call(t.sim, "GET", SLICES)).json.metadata.resourceVersion;
    const watch = await openWatch(
      t.sim,
      `${SLICES}?watch=true&allowWatchBookmarks=true&resourceVersion=${start}&labelSelector=kubernetes.io%2Fservice-name%3Dsvc-w`,
    );
    expect(watch.status).toBe(200);
    await call(t.sim, "POST", SLICES, { body: slice("other-w", "svc-other", ["10.0.3.9"]) });
    await call(t.sim, "POST", SLICES, { body: slice("w-1", "svc-w", ["10.0.3.1"]) });
    await call(t.sim, "PATCH", `${SLICES}/w-1`, {
      contentType: "application/merge-patch+json",
      body: { endpoints: [{ addresses: ["10.0.3.2"] }] },
    });
    await call(t.sim, "DELETE", `${SLICES}/w-1`);
    const seen: string[] = [];
    while (seen.filter((type) => type !== "BOOKMARK").length < 3) {
      const event = await watch.next();
      if (!event) break;
      seen.push(event.type);
      if (event.type === "BOOKMARK") expect(event.object.apiVersion).toBe("discovery.k8s.io/v1");
      else expect(event.object.metadata.name).toBe("w-1");
    }
    expect(seen.filter((type) => type !== "BOOKMARK")).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    let bookmark = await watch.next(5_000);
    while (bookmark && bookmark.type !== "BOOKMARK") bookmark = await watch.next(5_000);
    expect(bookmark?.object.kind).toBe("EndpointSlice");
    watch.close();
  });

  test("a compacted resourceVersion is an ERROR 410 event, also on the legacy /watch/ prefix", async () => {
    const before = (await call(t.sim, "GET", SLICES)).json.metadata.resourceVersion;
    await call(t.sim, "POST", SLICES, { body: slice("c-1", "svc-c", ["10.0.4.1"]) });
    t.sim.compactAll();
    for (const url of [
      `${SLICES}?watch=true&resourceVersion=${before}`,
      `${GROUP}/watch/namespaces/default/endpointslices?resourceVersion=${before}`,
    ]) {
      const watch = await openWatch(t.sim, url);
      const event = await watch.next();
      expect(event).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } });
      expect(await watch.next()).toBeUndefined();
      watch.close();
    }
  });
});

describe("v1 Endpoints are deprecated", () => {
  const path = "/api/v1/namespaces/default/endpoints";

  test("every request their handler serves carries the 1.33+ Warning header, failed ones too; a 403 does not", async () => {
    const answers = [
      await call(t.sim, "POST", path, { body: { metadata: { name: "legacy" } } }),
      await call(t.sim, "GET", path),
      await call(t.sim, "GET", `${path}/legacy`),
      await call(t.sim, "GET", `${path}/missing`),
      await call(t.sim, "GET", "/api/v1/endpoints"),
      await call(t.sim, "POST", path, { body: { metadata: { name: "Not_A_Name" } } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 404, 200, 422]);
    for (const answer of answers) expect(answer.headers.get("warning")).toBe(ENDPOINTS_WARNING);
    // Authorization refuses in the filter chain, before the route handler that adds the warning.
    const refused = await call(t.sim, "DELETE", `${path}/legacy`, { token: t.sim.readOnlyToken });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("warning")).toBeNull();
    const watch = await fetch(`${t.sim.server}${path}?watch=true&timeoutSeconds=1`, {
      headers: { authorization: `Bearer ${t.sim.token}` },
      tls: { ca: t.sim.caPem },
    });
    expect(watch.headers.get("warning")).toBe(ENDPOINTS_WARNING);
    await watch.body?.cancel();
  });

  test("other resources carry no warning; /version says 1.37, like the real server of tests/e2e-real", async () => {
    expect((await call(t.sim, "GET", "/api/v1/namespaces/default/pods")).headers.get("warning")).toBeNull();
    expect((await call(t.sim, "GET", SLICES)).headers.get("warning")).toBeNull();
    expect((await call(t.sim, "GET", "/version", { token: null })).json).toMatchObject({
      major: "1",
      minor: "37",
    });
  });
});

test("@kubernetes/client-node's DiscoveryV1Api lists and reads slices", async () => {
  const config = new KubeConfig();
  config.loadFromFile(t.sim.adminKubeconfigPath);
  const api = config.makeApiClient(DiscoveryV1Api);
  await api.createNamespacedEndpointSlice({
    namespace: "default",
    body: slice("typed-1", "svc-typed", ["10.0.5.1"]),
  });
  const list = await api.listNamespacedEndpointSlice({
    namespace: "default",
    labelSelector: "kubernetes.io/service-name=svc-typed",
  });
  expect(list.items.map((s) => [s.metadata?.name, s.addressType, s.endpoints[0]?.conditions?.ready])).toEqual(
    [["typed-1", "IPv4", true]],
  );
  const read = await api.readNamespacedEndpointSlice({ namespace: "default", name: "typed-1" });
  expect(read.endpoints[0]?.addresses).toEqual(["10.0.5.1"]);
});

test("deleting a namespace deletes its EndpointSlices", async () => {
  await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "doomed" } } });
  const path = `${GROUP}/namespaces/doomed/endpointslices`;
  expect((await call(t.sim, "POST", path, { body: slice("d-1", "svc-d", ["10.0.6.1"]) })).status).toBe(201);
  await call(t.sim, "DELETE", "/api/v1/namespaces/doomed");
  expect((await call(t.sim, "GET", `${path}/d-1`)).status).toBe(404);
});
