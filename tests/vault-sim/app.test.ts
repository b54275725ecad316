// createVaultApp() without sockets: app.request() with an injected source address, as unit tests use it.
import { describe, expect, test } from "bun:test";
import { createSimClock, createVaultApp } from "../../sim/vault/index.ts";
import { at, str } from "./support.ts";

function harness() {
  const clock = createSimClock(() => Date.UTC(2026, 0, 1));
  const { app, rootToken } = createVaultApp({ clock });
  const call = async (
    method: string,
    path: string,
    body?: object,
    remoteAddress = "127.0.0.1",
    token = rootToken,
  ) => {
    const response = await app.request(
      `/v1/${path}`,
      {
        method,
        headers: token ? { "X-Vault-Token": token } : {},
        ...(body ? { body: JSON.stringify(body) } : {}),
      },
      { remoteAddress },
    );
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as unknown) : null };
  };
  /** approle enabled, role "r" written with `role`, one secret_id minted with `secret`; login(from) uses both. */
  const approle = async (role: object, secret: object = {}) => {
    await call("POST", "sys/auth/approle", { type: "approle" });
    await call("POST", "auth/approle/role/r", { token_policies: "p", ...role });
    const roleId = str(at((await call("GET", "auth/approle/role/r/role-id")).json, "data.role_id"));
    const secretId = str(
      at((await call("POST", "auth/approle/role/r/secret-id", secret)).json, "data.secret_id"),
    );
    return (from: string) =>
      call("POST", "auth/approle/login", { role_id: roleId, secret_id: secretId }, from, "");
  };
  return { call, clock, approle };
}

describe("api-docs/auth/approle#login-with-approle (in-process)", () => {
  test("an IPv4-mapped IPv6 source address counts as the IPv4 address for cidr_list", async () => {
    const login = await harness().approle({}, { cidr_list: "127.0.0.1/32", num_uses: 5 });
    expect((await login("::ffff:127.0.0.1")).status).toBe(200);
    expect((await login("::1")).json).toEqual({
      errors: ['source address "::1" unauthorized through CIDR restrictions on the secret ID'],
    });
  });

  test("a refused login from the wrong address still spends a use, as Vault's validateBindSecretID does", async () => {
    const login = await harness().approle({}, { cidr_list: "127.0.0.1/32", num_uses: 1 });
    expect((await login("127.0.0.9")).status).toBe(400);
    expect((await login("127.0.0.1")).json).toEqual({ errors: ["invalid role or secret ID"] });
  });
});

describe("api-docs/auth/approle#token_bound_cidrs (in-process)", () => {
  test("a login token bound to a CIDR only works from inside it", async () => {
    const { call, approle } = harness();
    const login = await approle({ token_bound_cidrs: "127.0.0.1/32" });
    const token = str(at((await login("127.0.0.2")).json, "auth.client_token"));
    expect((await call("GET", "auth/token/lookup-self", undefined, "127.0.0.1", token)).status).toBe(200);
    expect((await call("GET", "auth/token/lookup-self", undefined, "127.0.0.2", token)).status).toBe(403);
  });
});

describe("api-docs/auth/token#create-token (in-process)", () => {
  test("use-limited tokens cannot create children", async () => {
    const { call } = harness();
    const limited = await call("POST", "auth/token/create", { num_uses: 3 });
    const token = str(at(limited.json, "auth.client_token"));
    const child = await call("POST", "auth/token/create", {}, "127.0.0.1", token);
    expect(child.json).toEqual({ errors: ["use limited tokens cannot create child tokens"] });
  });

  test("root may choose a token id; others may not", async () => {
    const { call } = harness();
    const chosen = await call("POST", "auth/token/create", {
      id: "sandbox-controller",
      policies: ["default"],
    });
    expect(at(chosen.json, "auth.client_token")).toBe("sandbox-controller");
    const again = await call("POST", "auth/token/create", { id: "sandbox-controller" });
    expect(again.status).toBe(400);
    const other = await call("POST", "auth/token/create", { id: "mine" }, "127.0.0.1", "sandbox-controller");
    expect(other.status).toBe(403);
  });

  test("expire_time follows the injected clock", async () => {
    const { call, clock } = harness();
    const created = await call("POST", "auth/token/create", { ttl: "90s" });
    const token = str(at(created.json, "auth.client_token"));
    const self = await call("GET", "auth/token/lookup-self", undefined, "127.0.0.1", token);
    expect(at(self.json, "data.expire_time")).toBe("2026-01-01T00:01:30.000Z");
    clock.advance(90_000);
    expect((await call("GET", "auth/token/lookup-self", undefined, "127.0.0.1", token)).status).toBe(403);
  });
});
