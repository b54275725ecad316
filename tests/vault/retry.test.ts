// Errors and the retry policy: VaultError carries status, method, path and Vault's errors; only safe calls are
// retried, only after no answer, a 5xx or a 429, with exponential back-off and injected jitter.
import { describe, expect, test } from "bun:test";
import {
  backoffDelayMs,
  createVaultClient,
  isRetryableStatus,
  retryPolicy,
  type VaultClient,
  VaultResponseError,
  vaultRefusal,
} from "../../lib/vault/index.ts";
import { createFakeVault, json, vaultErrorOf, vaultErrors } from "./fake-vault.ts";
import { healthBody, lookupSelfBody, ROLE_ID, SECRET_ID, TOKEN, WRAPPING_TOKEN } from "./samples.ts";

function setup(options: { attempts?: number; timeoutMs?: number } = {}) {
  const vault = createFakeVault();
  const sleeps: number[] = [];
  const client = createVaultClient({
    addr: "https://vault.test:8200",
    token: TOKEN,
    fetch: vault.fetch,
    timeoutMs: options.timeoutMs ?? 2_000,
    retry: {
      attempts: options.attempts ?? 3,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
  return { vault, client, sleeps };
}

describe("VaultError", () => {
  test("carries status, method, path and Vault's errors array", async () => {
    const { vault, client } = setup();
    vault.on("GET /v1/auth/token/lookup-self", vaultErrors(403, "permission denied"));
    const error = await vaultErrorOf(client.lookupSelf());
    expect([error.status, error.method, error.path, error.errors]).toEqual([
      403,
      "GET",
      "auth/token/lookup-self",
      ["permission denied"],
    ]);
    expect(error.refused).toBe(true);
    expect(error.message).toBe(
      "Vault GET /v1/auth/token/lookup-self failed with HTTP 403: permission denied",
    );
    expect(vaultRefusal(error)).toEqual({ status: 403, errors: ["permission denied"] });
  });

  test("a non-JSON error page becomes a short excerpt", async () => {
    const { vault, client } = setup({ attempts: 1 });
    vault.on(
      "GET /v1/auth/token/lookup-self",
      new Response(`<html>bad gateway${"x".repeat(500)}</html>`, { status: 502 }),
    );
    const error = await vaultErrorOf(client.lookupSelf());
    expect(error.status).toBe(502);
    expect(error.errors[0]?.startsWith("<html>bad gateway")).toBe(true);
    expect(error.errors[0]?.length).toBe(200);
  });

  test("a network failure is status 0 with the cause", async () => {
    const client = createVaultClient({
      addr: "https://vault.test:8200",
      fetch: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:8200")),
      retry: { attempts: 1 },
    });
    const error = await vaultErrorOf(client.health());
    expect(error.status).toBe(0);
    expect(error.causeText).toBe("connect ECONNREFUSED 127.0.0.1:8200");
    expect(error.message).toBe(
      "Vault GET /v1/sys/health failed: Vault was not reached (connect ECONNREFUSED 127.0.0.1:8200)",
    );
    expect(vaultRefusal(error)).toBeUndefined();
  });

  test("no answer within the per-call timeout is status 0, and the request is aborted", async () => {
    let aborted = 0;
    const client = createVaultClient({
      addr: "https://vault.test:8200",
      fetch: (_input, init) =>
        new Promise((_, reject) => {
          init?.signal?.addEventListener("abort", () => {
            aborted++;
            reject(new Error("aborted"));
          });
        }),
      timeoutMs: 30,
      retry: { attempts: 2, sleep: async () => {} },
    });
    const error = await vaultErrorOf(client.lookupWrapping(WRAPPING_TOKEN));
    expect(error.status).toBe(0);
    expect(error.causeText).toBe("no answer within 30 ms");
    expect(aborted).toBe(2);
  });

  test("a bad shape names the path and every field at fault, and is not retried", async () => {
    const { vault, client } = setup();
    vault.on("GET /v1/auth/token/lookup-self", json({ data: { accessor: 5, policies: "root", ttl: -1 } }));
    const error = await vaultErrorOf(client.lookupSelf());
    expect(error).toBeInstanceOf(VaultResponseError);
    expect(error.message).toContain(
      "GET /v1/auth/token/lookup-self answered HTTP 200 with an unexpected body",
    );
    expect(error.message).toContain("data.accessor: expected string, got a number");
    expect(error.message).toContain("data.policies: expected Array, got a string");
    expect(error.message).toContain("data.ttl: expected >=0, got a number");
    expect(vault.requests).toHaveLength(1);
    expect(vaultRefusal(error)).toBeUndefined();
  });

  test("a body that is not JSON", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/sys/wrapping/lookup", new Response("{not json"));
    expect((await vaultErrorOf(client.lookupWrapping(WRAPPING_TOKEN))).message).toContain(
      "the body is not JSON",
    );
  });
});

describe("retry policy", () => {
  test("reads are retried after 5xx and 429 with exponential back-off and jitter", async () => {
    const { vault, client, sleeps } = setup({ attempts: 4 });
    vault.on(
      "GET /v1/auth/token/lookup-self",
      vaultErrors(500, "internal"),
      vaultErrors(429, "rate"),
      vaultErrors(503, "sealed"),
      json(lookupSelfBody),
    );
    expect((await client.lookupSelf()).accessor).toBe(lookupSelfBody.data.accessor);
    expect(vault.requests).toHaveLength(4);
    expect(sleeps).toEqual([50, 100, 200]);
  });

  test("gives up after the configured attempts with the last error", async () => {
    const { vault, client, sleeps } = setup({ attempts: 3 });
    vault.on(
      "POST /v1/auth/token/renew-self",
      vaultErrors(500, "first"),
      vaultErrors(502, "second"),
      vaultErrors(503, "third"),
    );
    const error = await vaultErrorOf(client.renewSelf());
    expect([error.status, error.errors]).toEqual([503, ["third"]]);
    expect(vault.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  test("4xx other than 429 is never retried", async () => {
    for (const status of [400, 403, 404]) {
      const { vault, client } = setup();
      vault.on("GET /v1/auth/token/roles/r", vaultErrors(status, "no"));
      expect((await vaultErrorOf(client.readTokenRole("r"))).status).toBe(status);
      expect(vault.requests).toHaveLength(1);
    }
  });

  const safe: [string, string, (c: VaultClient) => Promise<unknown>][] = [
    ["lookupSelf", "GET /v1/auth/token/lookup-self", (c) => c.lookupSelf()],
    ["renewSelf", "POST /v1/auth/token/renew-self", (c) => c.renewSelf()],
    ["readTokenRole", "GET /v1/auth/token/roles/r", (c) => c.readTokenRole("r")],
    ["lookupWrapping", "POST /v1/sys/wrapping/lookup", (c) => c.lookupWrapping(WRAPPING_TOKEN)],
    ["pkiCaPem", "GET /v1/pki/ca/pem", (c) => c.pkiCaPem("pki")],
    ["pkiCertCa", "GET /v1/pki/cert/ca", (c) => c.pkiCertCa("pki")],
    ["health", "GET /v1/sys/health", (c) => c.health()],
  ];
  for (const [name, route, run] of safe)
    test(`${name} is retried after a 5xx`, async () => {
      const { vault, client } = setup();
      vault.on(route, new Response("upstream failed", { status: 502 }));
      expect((await vaultErrorOf(run(client))).status).toBe(502);
      expect(vault.requests).toHaveLength(3);
    });

  const unsafe: [string, string, (c: VaultClient) => Promise<unknown>][] = [
    [
      "createWrappedSecretId",
      "PUT /v1/auth/approle/role/r/secret-id",
      (c) => c.createWrappedSecretId("r", { metadata: {}, cidrList: [], numUses: 1, ttlSeconds: 120 }, 60),
    ],
    ["unwrap", "POST /v1/sys/wrapping/unwrap", (c) => c.unwrap(WRAPPING_TOKEN)],
    ["approleLogin", "POST /v1/auth/approle/login", (c) => c.approleLogin(ROLE_ID, SECRET_ID)],
    ["pkiIssue", "POST /v1/pki/issue/r", (c) => c.pkiIssue("pki", "r", { common_name: "x" })],
    ["revokeAccessor", "POST /v1/auth/token/revoke-accessor", (c) => c.revokeAccessor("acc")],
  ];
  for (const [name, route, run] of unsafe)
    test(`${name} is never retried, not even after a 503 or no answer`, async () => {
      const { vault, client } = setup();
      vault.on(route, vaultErrors(503, "unavailable"));
      expect((await vaultErrorOf(run(client))).status).toBe(503);
      expect(vault.requests).toHaveLength(1);
      let calls = 0;
      const offline = createVaultClient({
        addr: "https://vault.test:8200",
        fetch: () => {
          calls++;
          return Promise.reject(new Error("socket hang up"));
        },
        retry: { attempts: 5, sleep: async () => {} },
      });
      expect((await vaultErrorOf(run(offline))).status).toBe(0);
      expect(calls).toBe(1);
    });

  test("a network failure of a safe call is retried", async () => {
    let calls = 0;
    const client = createVaultClient({
      addr: "https://vault.test:8200",
      fetch: async () => {
        calls++;
        if (calls < 3) throw new Error("ECONNRESET");
        return json(healthBody);
      },
      retry: { attempts: 3, sleep: async () => {} },
    });
    expect((await client.health()).active).toBe(true);
    expect(calls).toBe(3);
  });

  test("health: a 5xx without a health document (a proxy) is a retried failure", async () => {
    const { vault, client } = setup();
    vault.on(
      "GET /v1/sys/health",
      new Response("bad gateway", { status: 502 }),
      new Response("<html>", { status: 503 }),
      json(healthBody),
    );
    expect((await client.health()).status).toBe(200);
    expect(vault.requests).toHaveLength(3);
  });

  test("back-off: full jitter over a doubling window, capped", () => {
    const draws = [0, 0.999, 0.5, 0.5, 0.5];
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 350, random: () => draws.shift() ?? 0 });
    expect([1, 1, 2, 3, 9].map((retry) => backoffDelayMs(policy, retry))).toEqual([0, 99, 100, 175, 175]);
    expect(retryPolicy({ attempts: 0 }).attempts).toBe(1);
  });

  test("retryable statuses", () => {
    expect([0, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 204, 400, 401, 403, 404, 412].some(isRetryableStatus)).toBe(false);
  });
});
