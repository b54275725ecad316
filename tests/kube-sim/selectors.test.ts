// Label and field selectors, and chunked lists.
// Follows https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/ (label selector syntax),
// https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/ (supported fields, errors) and
// https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks (limit/continue).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { parseFieldSelector, parseLabelSelector } from "../../sim/kube/selectors/index.ts";
import { ApiError } from "../../sim/kube/status.ts";
import { call, podManifest, startTestSim, type TestSim } from "./helpers.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

describe("label selector parsing", () => {
  const labels = { app: "web", tier: "front", env: "prod" };
  const cases: [string, boolean][] = [
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["app in (web, api)", true],
    ["app notin (web)", false],
    ["missing notin (web)", true],
    ["tier", true],
    ["!tier", false],
    ["!missing", true],
    ["app=web,tier=back", false],
    ["app=web, env in (prod,staging), !canary", true],
    ["", true],
  ];
  for (const [selector, expected] of cases)
    test(`${JSON.stringify(selector)} -> ${expected}`, () => {
      expect(parseLabelSelector(selector)(labels)).toBe(expected);
    });

  test("bad syntax is a 400 BadRequest", () => {
    for (const bad of ["app in web", "app=(x", "=web", "app in (a"]) {
      let caught: unknown;
      try {
        parseLabelSelector(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).status.code).toBe(400);
    }
  });
});

describe("field selector parsing", () => {
  const fields = { "metadata.name": (o: Record<string, unknown>) => String(o.name ?? "") };
  test("=, == and != with escapes", () => {
    expect(parseFieldSelector("metadata.name=a\\,b", fields)({ name: "a,b" })).toBe(true);
    expect(parseFieldSelector("metadata.name==a", fields)({ name: "a" })).toBe(true);
    expect(parseFieldSelector("metadata.name!=a", fields)({ name: "a" })).toBe(false);
  });
  test("unsupported fields are refused with the server's message", () => {
    try {
      parseFieldSelector("spec.secret=x", fields);
      throw new Error("expected a failure");
    } catch (error) {
      expect((error as ApiError).status.message).toBe("field label not supported: spec.secret");
    }
  });
});

describe("selectors and chunks over the API", () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startTestSim();
    await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "other" } } });
    const make = async (ns: string, name: string, labels: Record<string, string>) =>
      call(t.sim, "POST", `/api/v1/namespaces/${ns}/pods`, { body: podManifest(name, labels) });
    await make("default", "a", { app: "web", tier: "front" });
    await make("default", "b", { app: "web", tier: "back" });
    await make("default", "c", { app: "db" });
    await make("other", "d", { app: "web" });
    await call(t.sim, "PATCH", "/api/v1/namespaces/default/pods/b/status", {
      body: { status: { phase: "Running", podIP: "127.1.0.5" } },
      contentType: "application/merge-patch+json",
    });
  });
  afterAll(() => t.close());

  const names = (json: { items: { metadata: { name: string } }[] }) => json.items.map((p) => p.metadata.name);
  const list = async (query: string, ns?: string) =>
    (await call(t.sim, "GET", `${ns ? `/api/v1/namespaces/${ns}` : "/api/v1"}/pods?${query}`)).json;

  test("all namespaces vs one namespace", async () => {
    expect(names(await list(""))).toEqual(["a", "b", "c", "d"]);
    expect(names(await list("", "default"))).toEqual(["a", "b", "c"]);
  });

  test("labelSelector set and equality operators", async () => {
    expect(names(await list(`labelSelector=${encodeURIComponent("app=web,tier notin (back)")}`))).toEqual([
      "a",
      "d",
    ]);
    expect(names(await list(`labelSelector=${encodeURIComponent("!tier")}`))).toEqual(["c", "d"]);
  });

  test("fieldSelector on metadata.namespace, status.phase, status.podIP and spec.nodeName", async () => {
    expect(names(await list("fieldSelector=metadata.namespace%3Dother"))).toEqual(["d"]);
    expect(names(await list("fieldSelector=status.phase%3DRunning"))).toEqual(["b"]);
    expect(names(await list("fieldSelector=status.podIP%3D127.1.0.5"))).toEqual(["b"]);
    expect(names(await list("fieldSelector=status.phase!%3DRunning,metadata.name!%3Da"))).toEqual(["c", "d"]);
    expect(names(await list("fieldSelector=spec.nodeName%3D"))).toEqual(["a", "b", "c", "d"]);
  });

  test("an unknown field is a 400 Status", async () => {
    const { status, json } = await call(t.sim, "GET", "/api/v1/pods?fieldSelector=spec.foo%3Dx");
    expect(status).toBe(400);
    expect(json.message).toBe("field label not supported: spec.foo");
  });

  test("limit/continue pages are consistent at the first page's resourceVersion", async () => {
    const first = await list("limit=2");
    expect(names(first)).toEqual(["a", "b"]);
    expect(first.metadata.remainingItemCount).toBe(2);
    await call(t.sim, "POST", "/api/v1/namespaces/default/pods", { body: podManifest("bb") });
    const second = await list(`limit=2&continue=${first.metadata.continue}`);
    // "bb" was created after the first page: a consistent list does not show it.
    expect(names(second)).toEqual(["c", "d"]);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.metadata.continue).toBeUndefined();
  });

  test("a continue token older than the compacted history is 410 Expired with a fresh token", async () => {
    const first = await list("limit=1");
    await call(t.sim, "POST", "/api/v1/namespaces/default/pods", { body: podManifest("e") });
    t.sim.compactAll();
    const { status, json } = await call(
      t.sim,
      "GET",
      `/api/v1/pods?limit=1&continue=${first.metadata.continue}`,
    );
    expect(status).toBe(410);
    expect(json).toMatchObject({ kind: "Status", reason: "Expired", code: 410 });
    expect(json.metadata.continue).toBeString();
    const resumed = await list(`limit=10&continue=${json.metadata.continue}`);
    expect(names(resumed)).toContain("e");
  });

  test("resourceVersionMatch=Exact reads an old state; a future version is 504", async () => {
    const before = await list("");
    await call(t.sim, "DELETE", "/api/v1/namespaces/default/pods/c");
    const exact = await list(`resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    expect(names(exact)).toContain("c");
    expect(names(await list(""))).not.toContain("c");
    const { status } = await call(
      t.sim,
      "GET",
      "/api/v1/pods?resourceVersion=99999&resourceVersionMatch=NotOlderThan",
    );
    expect(status).toBe(504);
    const forbidden = await call(t.sim, "GET", "/api/v1/pods?resourceVersionMatch=Exact");
    expect(forbidden.status).toBe(400);
  });

  test("the cluster's invariants hold after all of it", () => {
    t.sim.cluster.assertInvariants();
  });
});
