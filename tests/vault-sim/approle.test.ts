// AppRole over HTTPS: roles, role-id, secret-id with metadata/cidr_list/num_uses/ttl, wrapping, login.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { at, type SimHarness, startHarness, str, tokenWithPolicy } from "./support.ts";

let h: SimHarness;
let controllerToken: string;
let roleId: string;

const CONTROLLER_POLICY = `
path "auth/approle/role/+/secret-id" {
  capabilities = ["update"]
}
`;

beforeAll(async () => {
  h = await startHarness("127.0.0.1");
  expect((await h.call("POST", "sys/auth/approle", { body: { type: "approle" } })).status).toBe(204);
  const role = await h.call("POST", "auth/approle/role/web", {
    body: { token_policies: ["web"], token_ttl: "1h", token_max_ttl: "4h", secret_id_ttl: "10m" },
  });
  expect(role.status).toBe(204);
  roleId = str(at((await h.call("GET", "auth/approle/role/web/role-id")).json, "data.role_id"));
  controllerToken = await tokenWithPolicy(h, "controller", CONTROLLER_POLICY);
});
afterAll(() => h.close());

async function mint(body: object, wrapTtl?: string) {
  const answer = await h.call("POST", "auth/approle/role/web/secret-id", {
    token: controllerToken,
    body,
    ...(wrapTtl ? { wrapTtl } : {}),
  });
  expect(answer.status).toBe(200);
  return answer;
}

const login = (secretId: string, from = "127.0.0.1") =>
  h.call("POST", "auth/approle/login", { token: "", body: { role_id: roleId, secret_id: secretId }, from });

describe("api-docs/auth/approle#create-update-approle and #read-approle", () => {
  test("a role reads back with token_* fields and the legacy policies alias", async () => {
    const read = await h.call("GET", "auth/approle/role/web");
    expect(at(read.json, "data.token_policies")).toEqual(["web"]);
    expect(at(read.json, "data.policies")).toEqual(["web"]);
    expect(at(read.json, "data.token_ttl")).toBe(3600);
    expect(at(read.json, "data.token_max_ttl")).toBe(14400);
    expect(at(read.json, "data.secret_id_ttl")).toBe(600);
    expect(at(read.json, "data.bind_secret_id")).toBe(true);
    expect(at(await h.call("GET", "auth/approle/role?list=true").then((a) => a.json), "data.keys")).toEqual([
      "web",
    ]);
  });

  test("a role without any constraint is refused", async () => {
    const answer = await h.call("POST", "auth/approle/role/loose", { body: { bind_secret_id: false } });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ errors: ["at least one constraint should be enabled on the role"] });
  });

  test("role-id can be set; reading an unknown role is a 404", async () => {
    await h.call("POST", "auth/approle/role/fixed", { body: { token_policies: "x" } });
    expect(
      (await h.call("POST", "auth/approle/role/fixed/role-id", { body: { role_id: "my-fixed-id" } })).status,
    ).toBe(204);
    expect(at((await h.call("GET", "auth/approle/role/fixed/role-id")).json, "data.role_id")).toBe(
      "my-fixed-id",
    );
    const missing = await h.call("GET", "auth/approle/role/missing");
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ errors: [] });
  });
});

describe("api-docs/auth/approle#generate-new-secret-id", () => {
  test("returns secret_id, accessor, ttl and num_uses; lookup shows metadata and cidr_list", async () => {
    const minted = await mint({
      metadata: JSON.stringify({ pod: "default/web-0" }),
      cidr_list: ["127.0.0.1/32"],
      num_uses: 1,
    });
    const data = at(minted.json, "data") as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual([
      "secret_id",
      "secret_id_accessor",
      "secret_id_num_uses",
      "secret_id_ttl",
    ]);
    expect(data.secret_id_ttl).toBe(600);
    expect(data.secret_id_num_uses).toBe(1);
    const lookup = await h.call("POST", "auth/approle/role/web/secret-id/lookup", {
      body: { secret_id: data.secret_id },
    });
    expect(at(lookup.json, "data.metadata")).toEqual({ pod: "default/web-0" });
    expect(at(lookup.json, "data.cidr_list")).toEqual(["127.0.0.1/32"]);
    expect(at(lookup.json, "data.secret_id_accessor")).toBe(data.secret_id_accessor);
    const byAccessor = await h.call("POST", "auth/approle/role/web/secret-id-accessor/lookup", {
      body: { secret_id_accessor: data.secret_id_accessor },
    });
    expect(at(byAccessor.json, "data.metadata")).toEqual({ pod: "default/web-0" });
    const list = await h.call("GET", "auth/approle/role/web/secret-id?list=true");
    expect(at(list.json, "data.keys")).toContain(data.secret_id_accessor);
    expect(JSON.stringify(list.json)).not.toContain(str(data.secret_id));
  });

  test("bad metadata, a ttl beyond the role's and an unknown role are 400s", async () => {
    const bad = await h.call("POST", "auth/approle/role/web/secret-id", { body: { metadata: "{not json" } });
    expect(bad.status).toBe(400);
    expect(String(at(bad.json, "errors"))).toContain("failed to parse metadata");
    const long = await h.call("POST", "auth/approle/role/web/secret-id", { body: { ttl: "1h" } });
    expect(long.json).toEqual({ errors: ["ttl cannot be longer than the role's secret_id_ttl"] });
    const unknown = await h.call("POST", "auth/approle/role/ghost/secret-id", { token: controllerToken });
    expect(unknown.json).toEqual({ errors: ['role "ghost" does not exist'] });
  });

  test("destroy by secret_id and by accessor", async () => {
    const one = at((await mint({})).json, "data") as Record<string, string>;
    const two = at((await mint({})).json, "data") as Record<string, string>;
    expect(
      (
        await h.call("POST", "auth/approle/role/web/secret-id/destroy", {
          body: { secret_id: one.secret_id },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await h.call("POST", "auth/approle/role/web/secret-id-accessor/destroy", {
          body: { secret_id_accessor: two.secret_id_accessor },
        })
      ).status,
    ).toBe(204);
    expect((await login(str(one.secret_id))).json).toEqual({ errors: ["invalid role or secret ID"] });
    expect((await login(str(two.secret_id))).status).toBe(400);
  });
});

describe("api-docs/auth/approle#login-with-approle", () => {
  test("login returns a token with the role's policies and the secret_id's metadata", async () => {
    const secretId = str(
      at((await mint({ metadata: JSON.stringify({ pod: "default/web-1" }) })).json, "data.secret_id"),
    );
    const answer = await login(secretId);
    expect(answer.status).toBe(200);
    expect(at(answer.json, "auth.policies")).toEqual(["default", "web"]);
    expect(at(answer.json, "auth.token_policies")).toEqual(["default", "web"]);
    expect(at(answer.json, "auth.metadata")).toEqual({ pod: "default/web-1", role_name: "web" });
    expect(at(answer.json, "auth.lease_duration")).toBe(3600);
    expect(at(answer.json, "auth.renewable")).toBe(true);
    expect(str(at(answer.json, "auth.client_token"))).toStartWith("hvs.");
    expect(str(at(answer.json, "auth.accessor")).length).toBeGreaterThan(0);
    const self = await h.call("GET", "auth/token/lookup-self", {
      token: str(at(answer.json, "auth.client_token")),
    });
    expect(at(self.json, "data.path")).toBe("auth/approle/login");
    expect(at(self.json, "data.orphan")).toBe(true);
  });

  test("num_uses is exhausted after the allowed logins", async () => {
    const secretId = str(at((await mint({ num_uses: 2 })).json, "data.secret_id"));
    expect((await login(secretId)).status).toBe(200);
    expect((await login(secretId)).status).toBe(200);
    const third = await login(secretId);
    expect(third.status).toBe(400);
    expect(third.json).toEqual({ errors: ["invalid role or secret ID"] });
  });

  test("cidr_list refuses a login from another source address, with Vault's message", async () => {
    const secretId = str(at((await mint({ cidr_list: "127.0.0.1/32", num_uses: 3 })).json, "data.secret_id"));
    const refused = await login(secretId, "127.0.0.2");
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      errors: ['source address "127.0.0.2" unauthorized through CIDR restrictions on the secret ID'],
    });
    expect((await login(secretId, "127.0.0.1")).status).toBe(200);
  });

  test("an expired secret_id is refused once the clock passes its ttl", async () => {
    const secretId = str(at((await mint({ ttl: "2m" })).json, "data.secret_id"));
    h.sim.clock.advance(2 * 60_000 + 1000);
    expect((await login(secretId)).json).toEqual({ errors: ["invalid role or secret ID"] });
  });

  test("missing role_id and an unknown role_id are 400s", async () => {
    expect((await h.call("POST", "auth/approle/login", { token: "", body: {} })).json).toEqual({
      errors: ["missing role_id"],
    });
    const unknown = await h.call("POST", "auth/approle/login", {
      token: "",
      body: { role_id: "nope", secret_id: "nope" },
    });
    expect(unknown.json).toEqual({ errors: ["invalid role or secret ID"] });
  });
});

describe("docs/concepts/response-wrapping with AppRole (the kubernetes-vault flow)", () => {
  test("wrap -> lookup creation_path -> unwrap -> login; the wrapping token is single-use", async () => {
    const before = h.sim.stats.secretIdsMinted("web");
    const wrapped = await mint(
      { metadata: JSON.stringify({ pod: "default/web-2" }), cidr_list: "127.0.0.7/32", num_uses: 1 },
      "60s",
    );
    expect(h.sim.stats.secretIdsMinted("web")).toBe(before + 1);
    expect(at(wrapped.json, "data")).toBeNull();
    const info = at(wrapped.json, "wrap_info") as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual([
      "accessor",
      "creation_path",
      "creation_time",
      "token",
      "ttl",
      "wrapped_accessor",
    ]);
    expect(info.ttl).toBe(60);
    expect(info.creation_path).toBe("auth/approle/role/web/secret-id");

    const lookup = await h.call("POST", "sys/wrapping/lookup", {
      token: "",
      body: { token: info.token },
      from: "127.0.0.7",
    });
    expect(lookup.status).toBe(200);
    expect(at(lookup.json, "data.creation_path")).toBe("auth/approle/role/web/secret-id");
    expect(at(lookup.json, "data.creation_ttl")).toBe(60);

    const unwrapped = await h.call("POST", "sys/wrapping/unwrap", {
      token: str(info.token),
      from: "127.0.0.7",
    });
    expect(unwrapped.status).toBe(200);
    expect(at(unwrapped.json, "data.secret_id_accessor")).toBe(info.wrapped_accessor);
    const again = await h.call("POST", "sys/wrapping/unwrap", { token: str(info.token), from: "127.0.0.7" });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ errors: ["wrapping token is not valid or does not exist"] });

    const loggedIn = await login(str(at(unwrapped.json, "data.secret_id")), "127.0.0.7");
    expect(loggedIn.status).toBe(200);
    expect(at(loggedIn.json, "auth.metadata")).toEqual({ pod: "default/web-2", role_name: "web" });
    expect(h.sim.stats.logins("web")).toBeGreaterThan(0);
  });

  test("a wrapping token cannot be used as a client token", async () => {
    const info = at((await mint({}, "60s")).json, "wrap_info") as Record<string, string>;
    const misuse = await h.call("GET", "auth/approle/role/web/role-id", { token: str(info.token) });
    expect(misuse.status).toBe(403);
    expect((await h.call("POST", "sys/wrapping/unwrap", { token: str(info.token) })).status).toBe(200);
  });
});
