// The token store over HTTPS: create, roles, periodic renewal, TTL expiry on the injected clock, accessors, num_uses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { at, num, PERMISSION_DENIED, type SimHarness, startHarness, str } from "./support.ts";

let h: SimHarness;
beforeAll(async () => {
  h = await startHarness("127.0.0.1");
});
afterAll(() => h.close());

const HOUR_MS = 3_600_000;

async function create(body: object, path = "auth/token/create", token?: string) {
  const answer = await h.call("POST", path, { body, ...(token ? { token } : {}) });
  expect(answer.status).toBe(200);
  return {
    token: str(at(answer.json, "auth.client_token")),
    accessor: str(at(answer.json, "auth.accessor")),
    answer,
  };
}

describe("api-docs/auth/token#lookup-a-token-self", () => {
  test("the root token looks itself up with Vault's fields", async () => {
    const self = await h.call("GET", "auth/token/lookup-self");
    expect(self.status).toBe(200);
    expect(Object.keys(at(self.json, "data") ?? {}).sort()).toEqual(
      [
        "accessor",
        "creation_time",
        "creation_ttl",
        "display_name",
        "entity_id",
        "expire_time",
        "explicit_max_ttl",
        "id",
        "issue_time",
        "meta",
        "num_uses",
        "orphan",
        "path",
        "policies",
        "renewable",
        "ttl",
        "type",
      ].sort(),
    );
    expect(at(self.json, "data.policies")).toEqual(["root"]);
    expect(at(self.json, "data.expire_time")).toBeNull();
    expect(at(self.json, "data.type")).toBe("service");
    expect(at(self.json, "data.id")).toBe(h.sim.rootToken);
  });

  test("a child token carries default, its TTL and its parent link", async () => {
    await h.call("PUT", "sys/policies/acl/app", {
      body: { policy: 'path "app/*" { capabilities = ["read"] }' },
    });
    const { token, answer } = await create({
      policies: ["app"],
      ttl: "1h",
      meta: { owner: "tests" },
      display_name: "web",
    });
    expect(at(answer.json, "auth.policies")).toEqual(["app", "default"]);
    expect(at(answer.json, "auth.lease_duration")).toBe(3600);
    expect(at(answer.json, "auth.renewable")).toBe(true);
    const self = await h.call("GET", "auth/token/lookup-self", { token });
    expect(at(self.json, "data.display_name")).toBe("token-web");
    expect(at(self.json, "data.meta")).toEqual({ owner: "tests" });
    expect(at(self.json, "data.orphan")).toBe(false);
    expect(at(self.json, "data.path")).toBe("auth/token/create");
    expect(num(at(self.json, "data.ttl"))).toBeLessThanOrEqual(3600);
  });

  test("a non-root parent cannot grant policies it does not hold", async () => {
    await h.call("PUT", "sys/policies/acl/maker", {
      body: { policy: 'path "auth/token/create" { capabilities = ["update"] }' },
    });
    const { token } = await create({ policies: ["maker"] });
    const escalate = await h.call("POST", "auth/token/create", { token, body: { policies: ["app"] } });
    expect(escalate.status).toBe(400);
    expect(escalate.json).toEqual({ errors: ["child policies must be subset of parent"] });
  });
});

describe("api-docs/auth/token#create-update-token-role", () => {
  test("a periodic role hands out renewable tokens whose renew-self resets the TTL to the period", async () => {
    const role = await h.call("POST", "auth/token/roles/controller", {
      body: { allowed_policies: ["app"], period: "1h", renewable: true, orphan: true },
    });
    expect(role.status).toBe(204);
    const read = await h.call("GET", "auth/token/roles/controller");
    expect(at(read.json, "data.period")).toBe(3600);
    expect(at(read.json, "data.token_period")).toBe(3600);
    expect(at(read.json, "data.allowed_policies")).toEqual(["app"]);
    expect(at(read.json, "data.orphan")).toBe(true);

    const { token } = await create({}, "auth/token/create/controller");
    const looked = await h.call("GET", "auth/token/lookup-self", { token });
    // As real Vault (1.13.0, tests/e2e-real): the role's period is applied, not recorded on the token.
    expect(at(looked.json, "data.period")).toBeUndefined();
    expect(at(looked.json, "data.creation_ttl")).toBe(3600);
    expect(at(looked.json, "data.role")).toBe("controller");
    expect(at(looked.json, "data.orphan")).toBe(true);
    expect(at(looked.json, "data.policies")).toEqual(["app", "default"]);
    expect(at(looked.json, "data.explicit_max_ttl")).toBe(0);

    h.sim.clock.advance(40 * 60_000);
    const before = await h.call("GET", "auth/token/lookup-self", { token });
    expect(num(at(before.json, "data.ttl"))).toBeLessThanOrEqual(20 * 60);
    const renewed = await h.call("POST", "auth/token/renew-self", { token, body: { increment: "10s" } });
    expect(renewed.status).toBe(200);
    expect(at(renewed.json, "auth.lease_duration")).toBe(3600);
    // Periodic tokens outlive any max TTL as long as they are renewed.
    for (let i = 0; i < 30; i++) {
      h.sim.clock.advance(50 * 60_000);
      expect((await h.call("POST", "auth/token/renew-self", { token })).status).toBe(200);
    }
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(200);
  });

  test("policies outside the role's allowed_policies are refused; unknown roles are a 400", async () => {
    const bad = await h.call("POST", "auth/token/create/controller", { body: { policies: ["maker"] } });
    expect(bad.status).toBe(400);
    expect(String(at(bad.json, "errors"))).toContain("must be subset of the role's allowed policies");
    expect((await h.call("POST", "auth/token/create/nope")).json).toEqual({ errors: ["unknown role nope"] });
  });

  test("token_explicit_max_ttl caps renewals with Vault's warning", async () => {
    await h.call("POST", "auth/token/roles/capped", { body: { token_explicit_max_ttl: "2h" } });
    const { token } = await create({ ttl: "1h" }, "auth/token/create/capped");
    h.sim.clock.advance(50 * 60_000);
    const first = await h.call("POST", "auth/token/renew-self", { token, body: { increment: "1h" } });
    expect(at(first.json, "auth.lease_duration")).toBe(3600);
    expect(at(first.json, "warnings")).toBeNull();
    h.sim.clock.advance(50 * 60_000);
    const renewed = await h.call("POST", "auth/token/renew-self", { token, body: { increment: "1h" } });
    expect(renewed.status, renewed.text).toBe(200);
    expect(num(at(renewed.json, "auth.lease_duration"))).toBeLessThanOrEqual(20 * 60);
    expect(String(at(renewed.json, "warnings"))).toContain("exceeded the effective max_ttl");
    h.sim.clock.advance(21 * 60_000);
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(403);
  });

  test("LIST auth/token/roles", async () => {
    const list = await h.call("GET", "auth/token/roles?list=true");
    expect(at(list.json, "data.keys")).toEqual(["capped", "controller"]);
  });
});

describe("api-docs/auth/token: expiry, revocation and use limits", () => {
  test("a token stops working once the clock passes its TTL, and so do its children", async () => {
    const parent = await create({ ttl: "1h" });
    const child = await create({ ttl: "24h" }, "auth/token/create", parent.token);
    h.sim.clock.advance(HOUR_MS + 1000);
    expect((await h.call("GET", "auth/token/lookup-self", { token: parent.token })).status).toBe(403);
    expect((await h.call("GET", "auth/token/lookup-self", { token: child.token })).status).toBe(403);
  });

  test("renew of a non-renewable token is a 400", async () => {
    const { token } = await create({ ttl: "1h", renewable: false });
    const renewed = await h.call("POST", "auth/token/renew-self", { token });
    expect(renewed.status).toBe(400);
    expect(renewed.json).toEqual({ errors: ["lease is not renewable"] });
  });

  test("lookup-accessor hides the id; revoke-accessor revokes the token", async () => {
    const { token, accessor } = await create({ ttl: "1h" });
    const looked = await h.call("POST", "auth/token/lookup-accessor", { body: { accessor } });
    expect(at(looked.json, "data.id")).toBe("");
    expect(at(looked.json, "data.accessor")).toBe(accessor);
    expect((await h.call("POST", "auth/token/revoke-accessor", { body: { accessor } })).status).toBe(204);
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(403);
    expect((await h.call("POST", "auth/token/lookup-accessor", { body: { accessor } })).status).toBe(400);
  });

  test("revoke revokes the children of a token but not orphans", async () => {
    const parent = await create({ ttl: "1h" });
    const child = await create({ ttl: "1h" }, "auth/token/create", parent.token);
    const orphan = await create({ ttl: "1h" }, "auth/token/create-orphan", parent.token);
    expect((await h.call("POST", "auth/token/revoke", { body: { token: parent.token } })).status).toBe(204);
    expect((await h.call("GET", "auth/token/lookup-self", { token: child.token })).status).toBe(403);
    expect((await h.call("GET", "auth/token/lookup-self", { token: orphan.token })).status).toBe(200);
  });

  test("revoke-self ends the caller's token", async () => {
    const { token } = await create({ ttl: "1h" });
    expect((await h.call("POST", "auth/token/revoke-self", { token })).status).toBe(204);
    expect(at((await h.call("GET", "auth/token/lookup-self", { token })).json, "errors")).toBeDefined();
  });

  test("num_uses counts down and the token dies after its last use", async () => {
    const { token } = await create({ ttl: "1h", num_uses: 2 });
    const first = await h.call("GET", "auth/token/lookup-self", { token });
    expect(at(first.json, "data.num_uses")).toBe(1);
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(200);
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(403);
  });

  test("Authorization: Bearer works like X-Vault-Token", async () => {
    const answer = await h.call("GET", "auth/token/lookup-self", {
      token: "",
      headers: { Authorization: `Bearer ${h.sim.rootToken}`, "X-Vault-Request": "true" },
    });
    expect(answer.status).toBe(200);
    expect((await h.call("GET", "auth/token/lookup-self", { token: "" })).json).toEqual(PERMISSION_DENIED);
  });
});

// What an init container does with a login token it could not write to disk.
describe("api-docs/auth/token#revoke-a-token-self", () => {
  test("a token holding only the default policy revokes itself: 204 with no body, then it is gone", async () => {
    const { token, answer } = await create({ ttl: "1h", policies: ["default"] });
    expect(at(answer.json, "auth.policies")).toEqual(["default"]);
    const revoked = await h.call("POST", "auth/token/revoke-self", { token });
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe("");
    const after = await h.call("GET", "auth/token/lookup-self", { token });
    expect(after.status).toBe(403);
    expect(String(at(after.json, "errors"))).toContain("invalid token");
    // A second try is refused like any unknown token, which is why lib/vault never retries revoke-self.
    expect((await h.call("POST", "auth/token/revoke-self", { token })).status).toBe(403);
  });
});
