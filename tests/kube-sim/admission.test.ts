// ServiceAccounts, and the admission plugins that refuse what a real API server refuses on create.
// Follows https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/service-account-v1/ (the
// resource), https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts (every
// namespace gets a `default` ServiceAccount from the serviceaccount controller), and
// https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/ (#namespacelifecycle: no objects
// in a namespace that does not exist; #serviceaccount: a pod's service account must exist), with the messages
// kube-apiserver 1.37.2 answered to the same requests.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, expectStatus, podManifest, useTestSim } from "./helpers.ts";

setDefaultTimeout(60_000);

const t = useTestSim();

const accounts = (namespace: string) => `/api/v1/namespaces/${namespace}/serviceaccounts`;
const pods = (namespace: string) => `/api/v1/namespaces/${namespace}/pods`;
const withAccount = (name: string, account: string, field = "serviceAccountName") =>
  podManifest(name, {}, { spec: { [field]: account, containers: [{ name: "app", image: "i" }] } });

describe("ServiceAccounts", () => {
  test("discovery lists serviceaccounts (namespaced, short name sa)", async () => {
    const { json } = await call(t.sim, "GET", "/api/v1");
    expect(json.resources).toContainEqual(
      expect.objectContaining({
        name: "serviceaccounts",
        namespaced: true,
        kind: "ServiceAccount",
        shortNames: ["sa"],
      }),
    );
  });

  test("every namespace has a `default` ServiceAccount: the initial ones and each new one", async () => {
    for (const namespace of ["default", "kube-system", "kube-public", "kube-node-lease"])
      expect((await call(t.sim, "GET", `${accounts(namespace)}/default`)).status).toBe(200);
    await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "team-x" } } });
    const made = await call(t.sim, "GET", `${accounts("team-x")}/default`);
    expect(made.status).toBe(200);
    expect(made.json).toMatchObject({
      kind: "ServiceAccount",
      metadata: { name: "default", namespace: "team-x" },
    });
  });

  test("create, list, 409 on the same name, DELETE answers the deleted object", async () => {
    const created = await call(t.sim, "POST", accounts("team-x"), {
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web" } },
    });
    expect(created.status).toBe(201);
    expect(created.json.metadata.uid).toBeString();
    const list = await call(t.sim, "GET", accounts("team-x"));
    expect(list.json.kind).toBe("ServiceAccountList");
    expect(list.json.items.map((a: { metadata: { name: string } }) => a.metadata.name)).toEqual([
      "default",
      "web",
    ]);
    const again = await call(t.sim, "POST", accounts("team-x"), { body: { metadata: { name: "web" } } });
    expect(again.status).toBe(409);
    expect(again.json.message).toBe('serviceaccounts "web" already exists');
    const deleted = await call(t.sim, "DELETE", `${accounts("team-x")}/web`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ kind: "ServiceAccount", metadata: { name: "web" } });
  });

  test("a deleted `default` ServiceAccount comes back (the controller re-creates it)", async () => {
    const before = (await call(t.sim, "GET", `${accounts("team-x")}/default`)).json.metadata.uid;
    expect((await call(t.sim, "DELETE", `${accounts("team-x")}/default`)).status).toBe(200);
    const after = await call(t.sim, "GET", `${accounts("team-x")}/default`);
    expect(after.status).toBe(200);
    expect(after.json.metadata.uid).not.toBe(before);
  });
});

describe("ServiceAccount admission", () => {
  test("a pod naming a missing ServiceAccount is 403 Forbidden, worded as the real plugin words it", async () => {
    const refused = await call(t.sim, "POST", pods("team-x"), { body: withAccount("no-sa", "missing") });
    expect(refused.status).toBe(403);
    expectStatus(refused.json, 403, "Forbidden");
    expect(refused.json.message).toBe(
      'pods "no-sa" is forbidden: error looking up service account team-x/missing: serviceaccount "missing" not found',
    );
    expect(refused.json.details).toEqual({ name: "no-sa", kind: "pods" });
    // With generateName the message names the prefix (the name is generated after admission).
    const generated = await call(t.sim, "POST", pods("team-x"), {
      body: { ...withAccount("", "missing"), metadata: { generateName: "gen-" } },
    });
    expect(generated.json.message).toStartWith('pods "gen-" is forbidden: error looking up service account');
  });

  test("once the ServiceAccount exists the pod is admitted; the deprecated spec.serviceAccount counts too", async () => {
    await call(t.sim, "POST", accounts("team-x"), { body: { metadata: { name: "batch" } } });
    expect(
      (await call(t.sim, "POST", pods("team-x"), { body: withAccount("with-sa", "batch") })).status,
    ).toBe(201);
    const legacy = await call(t.sim, "POST", pods("team-x"), {
      body: withAccount("legacy", "batch", "serviceAccount"),
    });
    expect(legacy.status).toBe(201);
    expect(legacy.json.spec.serviceAccountName).toBe("batch");
  });

  test("a pod without one runs as `default`, which every namespace has", async () => {
    const created = await call(t.sim, "POST", pods("team-x"), { body: podManifest("plain") });
    expect(created.status).toBe(201);
    expect(created.json.spec.serviceAccountName).toBe("default");
  });
});

describe("NamespaceLifecycle admission", () => {
  test("creating any namespaced object in a namespace that does not exist is 404 for the namespace", async () => {
    const ghost = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'namespaces "ghost" not found',
      reason: "NotFound",
      details: { name: "ghost", kind: "namespaces" },
      code: 404,
    };
    const attempts = [
      // Checked before the ServiceAccount: a missing namespace wins over a missing account.
      call(t.sim, "POST", pods("ghost"), { body: withAccount("p", "missing") }),
      call(t.sim, "POST", accounts("ghost"), { body: { metadata: { name: "sa" } } }),
      call(t.sim, "POST", "/api/v1/namespaces/ghost/endpoints", { body: { metadata: { name: "ep" } } }),
      call(t.sim, "POST", "/api/v1/namespaces/ghost/events", {
        body: { metadata: { name: "ev" }, involvedObject: { kind: "Pod", namespace: "ghost", name: "p" } },
      }),
    ];
    for (const answer of await Promise.all(attempts)) {
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual(ghost);
    }
  });

  test("deleting a namespace removes its ServiceAccounts, and no `default` is re-created for it", async () => {
    await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "short-lived" } } });
    expect((await call(t.sim, "DELETE", "/api/v1/namespaces/short-lived")).status).toBe(200);
    expect((await call(t.sim, "GET", `${accounts("short-lived")}/default`)).status).toBe(404);
    const all = await call(t.sim, "GET", "/api/v1/serviceaccounts");
    expect(
      all.json.items.filter(
        (a: { metadata: { namespace: string } }) => a.metadata.namespace === "short-lived",
      ),
    ).toEqual([]);
  });
});
