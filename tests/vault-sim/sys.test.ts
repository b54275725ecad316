// sys/health, sys/auth, sys/mounts, the error envelope, and the sim's online/offline hook, over HTTPS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHttpClient } from "../../lib/runtime/index.ts";
import { waitFor } from "../support/wait.ts";
import { at, type SimHarness, startHarness, str } from "./support.ts";

let h: SimHarness;
beforeAll(async () => {
  h = await startHarness("127.0.0.1");
});
afterAll(() => h.close());

describe("api-docs/system/health", () => {
  test("200 with the documented fields and no token needed", async () => {
    const health = await h.call("GET", "sys/health", { token: "" });
    expect(health.status).toBe(200);
    const body = health.json as Record<string, unknown>;
    for (const field of [
      "initialized",
      "sealed",
      "standby",
      "performance_standby",
      "replication_performance_mode",
      "replication_dr_mode",
      "server_time_utc",
      "version",
      "cluster_name",
      "cluster_id",
    ])
      expect(body).toHaveProperty(field);
    expect(body.initialized).toBe(true);
    expect(body.sealed).toBe(false);
    expect(body.request_id).toBeUndefined();
  });
});

describe("api-docs/system/auth", () => {
  test("enable approle, list it, refuse a second mount on the same path and an unknown type", async () => {
    expect(
      (await h.call("POST", "sys/auth/approle", { body: { type: "approle", description: "apps" } })).status,
    ).toBe(204);
    const list = await h.call("GET", "sys/auth");
    const data = at(list.json, "data") as Record<
      string,
      { type: string; description: string; accessor: string }
    >;
    expect(data["approle/"]?.type).toBe("approle");
    expect(data["approle/"]?.description).toBe("apps");
    expect(data["approle/"]?.accessor).toStartWith("auth_approle_");
    expect(data["token/"]?.type).toBe("token");
    const again = await h.call("POST", "sys/auth/approle", { body: { type: "approle" } });
    expect(again.json).toEqual({ errors: ["path is already in use at auth/approle/"] });
    expect((await h.call("POST", "sys/auth/other", { body: { type: "github" } })).json).toEqual({
      errors: ["plugin not found in the catalog: github"],
    });
  });

  test("enabling an auth method needs sudo", async () => {
    await h.call("PUT", "sys/policies/acl/mounter", {
      body: { policy: 'path "sys/auth/*" { capabilities = ["update"] }' },
    });
    const created = await h.call("POST", "auth/token/create", { body: { policies: ["mounter"] } });
    const token = str(at(created.json, "auth.client_token"));
    expect((await h.call("POST", "sys/auth/second", { token, body: { type: "approle" } })).status).toBe(403);
  });
});

describe("Vault's HTTP conventions (api-docs#http-status-codes)", () => {
  test("unknown mount, unknown path inside a mount, and a method the path does not take", async () => {
    expect((await h.call("GET", "secret/data/x")).json).toEqual({
      errors: ['no handler for route "secret/data/x". route entry not found.'],
    });
    const inside = await h.call("GET", "sys/nothing-here");
    expect(inside.status).toBe(404);
    expect(inside.json).toEqual({ errors: ["1 error occurred:\n\t* unsupported path\n\n"] });
    const method = await h.call("DELETE", "sys/health");
    expect(method.status).toBe(405);
    expect(method.json).toEqual({ errors: ["1 error occurred:\n\t* unsupported operation\n\n"] });
  });

  test("invalid JSON is a 400 and unknown fields come back as a warning", async () => {
    const client = createHttpClient({ trust: { kind: "ca", caPem: h.sim.caPem } });
    const bad = await client.fetch(`${h.sim.addr}/v1/auth/token/create`, {
      method: "POST",
      headers: { "X-Vault-Token": h.sim.rootToken },
      body: "{nope",
    });
    client.close();
    expect(bad.status).toBe(400);
    expect(String(((await bad.json()) as { errors: string[] }).errors)).toContain(
      "failed to parse JSON input",
    );
    const warned = await h.call("POST", "auth/token/create", { body: { ttl: "1m", colour: "blue" } });
    expect(at(warned.json, "warnings")).toEqual(["Endpoint ignored these unrecognized parameters: [colour]"]);
  });

  test("an empty list is a 404 with no errors, as Vault answers", async () => {
    const list = await h.call("GET", "auth/token/roles?list=true");
    expect(list.status).toBe(404);
    expect(list.json).toEqual({ errors: [] });
  });
});

describe("sim hooks: setOnline", () => {
  test("offline refuses connections; back online on the same port with every token kept", async () => {
    const created = await h.call("POST", "auth/token/create", { body: { ttl: "1h" } });
    const token = str(at(created.json, "auth.client_token"));
    await h.sim.setOnline(false);
    const offline = createHttpClient({
      trust: { kind: "ca", caPem: h.sim.caPem },
      keepAlive: false,
      timeoutMs: 5000,
    });
    let error: unknown;
    try {
      await offline.fetch(`${h.sim.addr}/v1/sys/health`);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).toMatch(/ECONNREFUSED|connect/i);
    await h.sim.setOnline(true);
    const answer = await waitFor("vault-sim back online", async () => {
      const back = await h.call("GET", "auth/token/lookup-self", { token });
      return back.status === 200 ? back : undefined;
    });
    expect(at(answer.json, "data.id")).toBe(token);
    offline.close();
  });

  test("setSealed: 503 'Vault is sealed' everywhere but the status endpoints, state kept on unseal", async () => {
    h.sim.setSealed(true);
    try {
      const health = await h.call("GET", "sys/health", { token: "" });
      expect(health.status).toBe(503);
      expect(at(health.json, "sealed")).toBe(true);
      const sealed = await h.call("GET", "auth/token/lookup-self");
      expect(sealed.status).toBe(503);
      expect(sealed.json).toEqual({ errors: ["Vault is sealed"] });
    } finally {
      h.sim.setSealed(false);
    }
    expect((await h.call("GET", "auth/token/lookup-self")).status).toBe(200);
    expect(at((await h.call("GET", "sys/health", { token: "" })).json, "sealed")).toBe(false);
  });

  test("vault-ca.pem is written to the state directory and names the server's issuer", async () => {
    const pem = await Bun.file(h.sim.caCertPath).text();
    expect(pem).toBe(h.sim.caPem);
    expect(h.sim.caCertPath.startsWith(h.dir)).toBe(true);
  });
});
