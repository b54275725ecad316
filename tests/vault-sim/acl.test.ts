// ACL policies: sys/policies/acl CRUD and enforcement over HTTPS, and the documented path-matching rules.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { comparePriority } from "../../sim/vault/acl/acl.ts";
import { PolicyStore } from "../../sim/vault/acl/store.ts";
import { at, PERMISSION_DENIED, type SimHarness, startHarness, str, tokenWithPolicy } from "./support.ts";

let h: SimHarness;
beforeAll(async () => {
  h = await startHarness();
  expect((await h.call("POST", "sys/auth/approle", { body: { type: "approle" } })).status).toBe(204);
  for (const role of ["x", "y"])
    expect(
      (await h.call("POST", `auth/approle/role/${role}`, { body: { token_policies: "app" } })).status,
    ).toBe(204);
});
afterAll(() => h.close());

describe("api-docs/system/policies", () => {
  test("PUT, GET, LIST and DELETE an ACL policy; names are lower-cased", async () => {
    const text = 'path "secret/*" {\n  capabilities = ["read"]\n}\n';
    expect((await h.call("PUT", "sys/policies/acl/Reader", { body: { policy: text } })).status).toBe(204);
    const read = await h.call("GET", "sys/policies/acl/reader");
    expect(read.status).toBe(200);
    expect(at(read.json, "data")).toEqual({ name: "reader", policy: text });
    const list = await h.call("GET", "sys/policies/acl?list=true");
    expect(at(list.json, "data.keys")).toEqual(["default", "reader", "root"]);
    expect((await h.call("DELETE", "sys/policies/acl/reader")).status).toBe(204);
    expect((await h.call("GET", "sys/policies/acl/reader")).json).toEqual({ errors: [] });
  });

  test("root cannot be changed, default cannot be deleted, bad HCL is a 400", async () => {
    expect((await h.call("PUT", "sys/policies/acl/root", { body: { policy: "" } })).json).toEqual({
      errors: ['cannot update "root" policy'],
    });
    expect((await h.call("DELETE", "sys/policies/acl/default")).status).toBe(400);
    const bad = await h.call("PUT", "sys/policies/acl/bad", {
      body: { policy: 'path "x" { capabilities = ["fly"] }' },
    });
    expect(bad.status).toBe(400);
    expect(String(at(bad.json, "errors"))).toContain('invalid capability "fly"');
  });

  test("the legacy sys/policy endpoint reads the same store", async () => {
    const legacy = await h.call("GET", "sys/policy/default");
    expect(legacy.status).toBe(200);
    expect(String(at(legacy.json, "data.rules"))).toContain('path "auth/token/lookup-self"');
  });
});

describe("docs/concepts/policies: enforcement", () => {
  test("a token without update on auth/approle/role/x/secret-id gets Vault's 403", async () => {
    const token = await tokenWithPolicy(
      h,
      "reads-only",
      'path "auth/approle/role/x/secret-id" { capabilities = ["read"] }',
    );
    const denied = await h.call("POST", "auth/approle/role/x/secret-id", { token });
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual(PERMISSION_DENIED);
    expect(h.sim.stats.secretIdsMinted("x")).toBe(0);
  });

  test("update on role/+/secret-id allows minting for any role, and nothing else", async () => {
    const token = await tokenWithPolicy(
      h,
      "minter",
      'path "auth/approle/role/+/secret-id" { capabilities = ["update"] }',
    );
    expect((await h.call("POST", "auth/approle/role/y/secret-id", { token })).status).toBe(200);
    expect(h.sim.stats.secretIdsMinted("y")).toBe(1);
    expect((await h.call("GET", "auth/approle/role/y/role-id", { token })).status).toBe(403);
    expect((await h.call("GET", "auth/approle/role/y", { token })).status).toBe(403);
  });

  test("deny wins over a grant for the same path in another policy", async () => {
    await h.call("PUT", "sys/policies/acl/grant", {
      body: { policy: 'path "auth/approle/role/x" { capabilities = ["read"] }' },
    });
    await h.call("PUT", "sys/policies/acl/block", {
      body: { policy: 'path "auth/approle/role/x" { capabilities = ["deny"] }' },
    });
    const both = await h.call("POST", "auth/token/create", { body: { policies: ["grant", "block"] } });
    const grantOnly = await h.call("POST", "auth/token/create", { body: { policies: ["grant"] } });
    expect(
      (await h.call("GET", "auth/approle/role/x", { token: str(at(both.json, "auth.client_token")) })).status,
    ).toBe(403);
    expect(
      (await h.call("GET", "auth/approle/role/x", { token: str(at(grantOnly.json, "auth.client_token")) }))
        .status,
    ).toBe(200);
  });

  test("the default policy lets every token look itself up but not create tokens", async () => {
    const token = await tokenWithPolicy(h, "nothing", 'path "nothing/here" { capabilities = ["read"] }');
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(200);
    expect((await h.call("POST", "auth/token/create", { token })).json).toEqual(PERMISSION_DENIED);
  });

  test("no token, and an unknown token, are refused with 403", async () => {
    expect((await h.call("GET", "auth/approle/role/x", { token: "" })).json).toEqual(PERMISSION_DENIED);
    const unknown = await h.call("GET", "auth/approle/role/x", { token: "hvs.notarealtoken000000000" });
    expect(unknown.status).toBe(403);
    expect(String(at(unknown.json, "errors"))).toContain("permission denied");
  });

  test("sys/capabilities-self reports what the rules give", async () => {
    const token = await tokenWithPolicy(
      h,
      "caps",
      'path "auth/approle/role/+/secret-id" { capabilities = ["update", "create"] }',
    );
    const caps = await h.call("POST", "sys/capabilities-self", {
      token,
      body: { paths: ["auth/approle/role/z/secret-id"] },
    });
    expect(at(caps.json, "data.capabilities")).toEqual(["create", "update"]);
  });

  test("min_wrapping_ttl refuses an unwrapped secret_id request", async () => {
    const token = await tokenWithPolicy(
      h,
      "wrapped-only",
      'path "auth/approle/role/+/secret-id" {\n capabilities = ["update"]\n min_wrapping_ttl = "1s"\n max_wrapping_ttl = "5m"\n}',
    );
    expect((await h.call("POST", "auth/approle/role/x/secret-id", { token })).status).toBe(403);
    expect((await h.call("POST", "auth/approle/role/x/secret-id", { token, wrapTtl: "10m" })).status).toBe(
      403,
    );
    expect((await h.call("POST", "auth/approle/role/x/secret-id", { token, wrapTtl: "60s" })).status).toBe(
      200,
    );
  });
});

describe("docs/concepts/policies#priority-matching", () => {
  test("the documented orderings hold", () => {
    // Each pair: the first has the higher priority.
    const pairs: [string, string][] = [
      ["secret/foo", "secret/*"],
      ["secret/a/+", "secret/+/b"],
      ["secret/foo/bar", "secret/foo/*"],
      ["secret/+/b", "secret/+/+"],
      ["secret/abcd*", "secret/abc*"],
      ["secret/b*", "secret/a*"],
      ["a/+/c*", "a/+/*"],
    ];
    for (const [high, low] of pairs) {
      expect(comparePriority(high, low)).toBeGreaterThan(0);
      expect(comparePriority(low, high)).toBeLessThan(0);
    }
  });

  test("only the most specific rule decides: a broad grant does not leak into a narrower rule", () => {
    const store = new PolicyStore();
    store.put(
      "p",
      'path "secret/*" { capabilities = ["read", "update"] }\npath "secret/locked/*" { capabilities = ["read"] }\npath "secret/+/open" { capabilities = ["list"] }',
    );
    const acl = store.aclFor(["p"]);
    expect(acl.allows("secret/anything", "update")).toBe(true);
    expect(acl.allows("secret/locked/x", "update")).toBe(false);
    expect(acl.allows("secret/locked/x", "read")).toBe(true);
    expect(acl.allows("secret/a/open", "list")).toBe(true);
    expect(acl.allows("secret/a/open", "read")).toBe(false);
    expect(acl.allows("other/path", "read")).toBe(false);
    expect(store.aclFor(["root"]).allows("anything/at/all", "delete", true)).toBe(true);
  });

  test("a glob matches the prefix itself and deeper paths; + matches exactly one segment", () => {
    const store = new PolicyStore();
    store.put(
      "g",
      'path "auth/approle/role/*" { capabilities = ["list"] }\npath "kv/+/x" { capabilities = ["read"] }',
    );
    const acl = store.aclFor(["g"]);
    expect(acl.allows("auth/approle/role/", "list")).toBe(true);
    expect(acl.allows("auth/approle/role/a/b/c", "list")).toBe(true);
    expect(acl.allows("kv/a/x", "read")).toBe(true);
    expect(acl.allows("kv/a/b/x", "read")).toBe(false);
  });
});
