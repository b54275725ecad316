// sys/wrapping/* over HTTPS: wrap, lookup, unwrap (header or body), rewrap, expiry on the injected clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { at, type SimHarness, startHarness, str } from "./support.ts";

let h: SimHarness;
beforeAll(async () => {
  h = await startHarness("127.0.0.1");
});
afterAll(() => h.close());

async function wrap(data: object, ttl = "60s") {
  const answer = await h.call("POST", "sys/wrapping/wrap", { body: data, wrapTtl: ttl });
  expect(answer.status).toBe(200);
  return at(answer.json, "wrap_info") as Record<string, unknown>;
}

describe("api-docs/system/wrapping-wrap", () => {
  test("wraps arbitrary data; creation_path is sys/wrapping/wrap", async () => {
    const info = await wrap({ hello: "world" });
    expect(info.creation_path).toBe("sys/wrapping/wrap");
    expect(info.ttl).toBe(60);
  });

  test("without X-Vault-Wrap-TTL it is a 400", async () => {
    expect((await h.call("POST", "sys/wrapping/wrap", { body: { a: "b" } })).status).toBe(400);
  });
});

describe("api-docs/system/wrapping-lookup", () => {
  test("works without a client token and does not consume the wrapping token", async () => {
    const info = await wrap({ a: 1 });
    const lookup = await h.call("POST", "sys/wrapping/lookup", { token: "", body: { token: info.token } });
    expect(lookup.status).toBe(200);
    expect(Object.keys(at(lookup.json, "data") as object).sort()).toEqual([
      "creation_path",
      "creation_time",
      "creation_ttl",
    ]);
    expect((await h.call("POST", "sys/wrapping/unwrap", { token: str(info.token) })).status).toBe(200);
  });

  test("an unknown token is Vault's 400", async () => {
    const lookup = await h.call("POST", "sys/wrapping/lookup", { token: "", body: { token: "hvs.bogus" } });
    expect(lookup.status).toBe(400);
    expect(lookup.json).toEqual({ errors: ["wrapping token is not valid or does not exist"] });
  });
});

describe("api-docs/system/wrapping-unwrap", () => {
  test("with a client token in the header and the wrapping token in the body", async () => {
    const info = await wrap({ k: "v" });
    const answer = await h.call("POST", "sys/wrapping/unwrap", { body: { token: info.token } });
    expect(at(answer.json, "data")).toEqual({ k: "v" });
    const again = await h.call("POST", "sys/wrapping/unwrap", { body: { token: info.token } });
    expect(again.json).toEqual({ errors: ["wrapping token is not valid or does not exist"] });
  });

  test("an expired wrapping token cannot be unwrapped or looked up", async () => {
    const info = await wrap({ k: "v" }, "30s");
    h.sim.clock.advance(31_000);
    expect((await h.call("POST", "sys/wrapping/unwrap", { token: str(info.token) })).status).toBe(400);
    expect(
      (await h.call("POST", "sys/wrapping/lookup", { token: "", body: { token: info.token } })).status,
    ).toBe(400);
  });

  test("a wrapped token-create response unwraps to the auth block", async () => {
    const created = await h.call("POST", "auth/token/create", { body: { ttl: "1h" }, wrapTtl: "2m" });
    expect(at(created.json, "auth")).toBeNull();
    const info = at(created.json, "wrap_info") as Record<string, unknown>;
    expect(info.creation_path).toBe("auth/token/create");
    const unwrapped = await h.call("POST", "sys/wrapping/unwrap", { token: str(info.token) });
    expect(at(unwrapped.json, "auth.accessor")).toBe(info.wrapped_accessor);
    const token = str(at(unwrapped.json, "auth.client_token"));
    expect((await h.call("GET", "auth/token/lookup-self", { token })).status).toBe(200);
  });
});

describe("api-docs/system/wrapping-rewrap", () => {
  test("rewrap gives a new token for the same content and kills the old one", async () => {
    const info = await wrap({ n: 42 });
    const rewrapped = await h.call("POST", "sys/wrapping/rewrap", { body: { token: info.token } });
    const next = at(rewrapped.json, "wrap_info") as Record<string, unknown>;
    expect(next.token).not.toBe(info.token);
    expect(next.creation_path).toBe("sys/wrapping/wrap");
    expect((await h.call("POST", "sys/wrapping/unwrap", { token: str(info.token) })).status).toBe(400);
    expect(
      at((await h.call("POST", "sys/wrapping/unwrap", { token: str(next.token) })).json, "data"),
    ).toEqual({ n: 42 });
  });
});
