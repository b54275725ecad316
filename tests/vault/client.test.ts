// The Vault client against an in-process fake Vault (a Hono app): request paths, methods, headers and bodies as
// Vault's API docs give them, and answers parsed into typed results without the secrets we do not need.
import { beforeAll, describe, expect, test } from "bun:test";
import { createCertificateAuthority, issueLeaf, type KeyPairPem } from "../../lib/tls/index.ts";
import { createVaultClient, type VaultClient } from "../../lib/vault/index.ts";
import { createFakeVault, type FakeVault, json } from "./fake-vault.ts";
import {
  CLIENT_TOKEN,
  healthBody,
  loginBody,
  lookupSelfBody,
  ROLE_ID,
  renewSelfBody,
  SECRET_ID,
  TOKEN,
  tokenRoleBody,
  unwrappedSecretIdBody,
  WRAPPING_TOKEN,
  wrappedSecretIdBody,
  wrappingLookupBody,
} from "./samples.ts";

const ADDR = "https://vault.test:8200";

function setup(): { vault: FakeVault; client: VaultClient } {
  const vault = createFakeVault();
  return { vault, client: createVaultClient({ addr: `${ADDR}/`, token: TOKEN, fetch: vault.fetch }) };
}

function only(vault: FakeVault) {
  expect(vault.requests).toHaveLength(1);
  const request = vault.requests[0];
  if (!request) throw new Error("no request");
  return request;
}

describe("token calls", () => {
  test("lookupSelf: GET auth/token/lookup-self with the token; the token's own id is not kept", async () => {
    const { vault, client } = setup();
    vault.on("GET /v1/auth/token/lookup-self", json(lookupSelfBody));
    const lookup = await client.lookupSelf();
    expect(lookup).toEqual({
      accessor: "8609694a-cdbc-db9b-d345-e782dbb562ed",
      policies: ["default", "kubernetes-vault"],
      ttlSeconds: 86399,
      renewable: true,
      periodSeconds: 86400,
      explicitMaxTtlSeconds: 0,
      creationTtlSeconds: 2764800,
      role: "kubernetes-vault",
      displayName: "token-kubernetes-vault",
      expireTime: "2018-05-19T11:35:54.466476215-04:00",
      numUses: 0,
      path: "auth/token/create/kubernetes-vault",
    });
    expect(JSON.stringify(lookup)).not.toContain(TOKEN);
    const request = only(vault);
    expect(request.headers["x-vault-token"]).toBe(TOKEN);
    expect(request.headers["x-vault-request"]).toBe("true");
  });

  test("lookupSelf: a non-periodic token without a role", async () => {
    const { vault, client } = setup();
    const { period: _p, role: _r, ...data } = lookupSelfBody.data;
    vault.on("GET /v1/auth/token/lookup-self", json({ data: { ...data, renewable: false } }));
    const lookup = await client.lookupSelf();
    expect([lookup.periodSeconds, lookup.role, lookup.renewable]).toEqual([0, undefined, false]);
  });

  test("renewSelf: POST auth/token/renew-self with an optional increment; client_token dropped", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/auth/token/renew-self", json(renewSelfBody));
    expect(await client.renewSelf()).toEqual({
      accessor: "8609694a-cdbc-db9b-d345-e782dbb562ed",
      leaseDurationSeconds: 86400,
      renewable: true,
      policies: ["default", "kubernetes-vault"],
    });
    await client.renewSelf(3600);
    expect(vault.requests.map((r) => JSON.parse(r.body))).toEqual([{}, { increment: 3600 }]);
    expect(vault.requests[0]?.headers["content-type"]).toBe("application/json");
  });

  test("readTokenRole: GET auth/token/roles/:name; token_* fields win over the deprecated ones", async () => {
    const { vault, client } = setup();
    vault.on(
      "GET /v1/auth/token/roles/kubernetes-vault",
      json({ data: { ...tokenRoleBody.data, period: 1, token_period: 86400 } }),
    );
    expect(await client.readTokenRole("kubernetes-vault")).toEqual({
      name: "kubernetes-vault",
      periodSeconds: 86400,
      explicitMaxTtlSeconds: 0,
      renewable: true,
      allowedPolicies: ["kubernetes-vault"],
      orphan: false,
    });
    vault.on("GET /v1/auth/token/roles/old", json({ data: { period: 600, explicit_max_ttl: 7200 } }));
    expect(await client.readTokenRole("old")).toMatchObject({
      name: "old",
      periodSeconds: 600,
      explicitMaxTtlSeconds: 7200,
    });
  });

  test("revokeAccessor: POST auth/token/revoke-accessor {accessor}, 204 expected", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/auth/token/revoke-accessor", new Response(null, { status: 204 }));
    await client.revokeAccessor("fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374");
    expect(JSON.parse(only(vault).body)).toEqual({ accessor: "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374" });
  });

  test("revokeSelf: POST auth/token/revoke-self with the client's own token, 204 expected", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/auth/token/revoke-self", new Response(null, { status: 204 }));
    await client.withToken(CLIENT_TOKEN).revokeSelf();
    const request = only(vault);
    expect(request.headers["x-vault-token"]).toBe(CLIENT_TOKEN);
    expect(request.body).toBe("");
  });
});

describe("AppRole and wrapping", () => {
  test("createWrappedSecretId: PUT with X-Vault-Wrap-TTL, metadata as a JSON string, cidr_list, num_uses, ttl", async () => {
    const { vault, client } = setup();
    vault.on("PUT /v1/auth/approle/role/sample-app/secret-id", json(wrappedSecretIdBody));
    const wrapped = await client.createWrappedSecretId(
      "sample-app",
      {
        metadata: { pod: "default/web-0", uid: "1234" },
        cidrList: ["127.1.0.5/32"],
        numUses: 1,
        ttlSeconds: 120,
      },
      60,
    );
    expect(wrapped).toEqual({
      wrappingToken: WRAPPING_TOKEN,
      wrappingAccessor: "195bbd5b-1b8f-4a3c-2a89-8c0b5d94a9e7",
      creationTime: "2024-01-02T03:04:05.123456789Z",
      creationPath: "auth/approle/role/sample-app/secret-id",
      ttlSeconds: 60,
      secretIdAccessor: "84896a0c-1347-aa90-a4f6-aca8b7558780",
    });
    const request = only(vault);
    expect(request.headers["x-vault-wrap-ttl"]).toBe("60s");
    expect(request.headers["x-vault-token"]).toBe(TOKEN);
    const body = JSON.parse(request.body);
    expect(body).toEqual({
      metadata: JSON.stringify({ pod: "default/web-0", uid: "1234" }),
      cidr_list: ["127.1.0.5/32"],
      num_uses: 1,
      ttl: 120,
    });
    expect(typeof body.metadata).toBe("string");
  });

  test("createWrappedSecretId: token_bound_cidrs only when asked; role names are path-encoded", async () => {
    const { vault, client } = setup();
    vault.on("PUT /v1/auth/approle/role/my%20role/secret-id", json(wrappedSecretIdBody));
    await client.createWrappedSecretId(
      "my role",
      { metadata: {}, cidrList: [], tokenBoundCidrs: ["127.1.0.5/32"], numUses: 1, ttlSeconds: 61.2 },
      59.5,
    );
    const request = only(vault);
    expect(request.headers["x-vault-wrap-ttl"]).toBe("60s");
    expect(JSON.parse(request.body)).toEqual({
      metadata: "{}",
      cidr_list: [],
      token_bound_cidrs: ["127.1.0.5/32"],
      num_uses: 1,
      ttl: 62,
    });
  });

  test("a secret-id answer without wrap_info is a clear shape error naming the field", async () => {
    const { vault, client } = setup();
    vault.on(
      "PUT /v1/auth/approle/role/r/secret-id",
      json({ data: { secret_id: SECRET_ID, secret_id_accessor: "a" } }),
    );
    const error = await client
      .createWrappedSecretId("r", { metadata: {}, cidrList: [], numUses: 1, ttlSeconds: 1 }, 1)
      .catch((e: unknown) => e);
    expect(String(error)).toContain(
      "PUT /v1/auth/approle/role/r/secret-id answered HTTP 200 with an unexpected body: wrap_info: missing",
    );
    expect(String(error)).not.toContain(SECRET_ID);
  });

  test("lookupWrapping: POST sys/wrapping/lookup {token} without the client's token", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/sys/wrapping/lookup", json(wrappingLookupBody));
    expect(await client.lookupWrapping(WRAPPING_TOKEN)).toEqual({
      creationPath: "auth/approle/role/sample-app/secret-id",
      creationTime: "2024-01-02T03:04:05.123456789Z",
      creationTtlSeconds: 60,
    });
    const request = only(vault);
    expect(JSON.parse(request.body)).toEqual({ token: WRAPPING_TOKEN });
    expect(request.headers["x-vault-token"]).toBeUndefined();
  });

  test("unwrap: POST sys/wrapping/unwrap authenticated by the wrapping token itself, no body", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/sys/wrapping/unwrap", json(unwrappedSecretIdBody));
    expect(await client.unwrap(WRAPPING_TOKEN)).toEqual({
      secretId: SECRET_ID,
      secretIdAccessor: "84896a0c-1347-aa90-a4f6-aca8b7558780",
      secretIdTtlSeconds: 120,
      secretIdNumUses: 1,
    });
    const request = only(vault);
    expect(request.headers["x-vault-token"]).toBe(WRAPPING_TOKEN);
    expect(request.body).toBe("");
  });

  test("approleLogin: POST auth/approle/login {role_id, secret_id} without a token", async () => {
    const { vault, client } = setup();
    vault.on("POST /v1/auth/approle/login", json(loginBody));
    expect(await client.approleLogin(ROLE_ID, SECRET_ID)).toEqual({
      clientToken: CLIENT_TOKEN,
      accessor: "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374",
      leaseDuration: 1200,
      renewable: true,
      policies: ["default", "sample-app"],
      metadata: { role_name: "sample-app", pod: "default/web-0" },
    });
    const request = only(vault);
    expect(JSON.parse(request.body)).toEqual({ role_id: ROLE_ID, secret_id: SECRET_ID });
    expect(request.headers["x-vault-token"]).toBeUndefined();
  });

  test("destroySecretIdByAccessor: POST .../secret-id-accessor/destroy", async () => {
    const { vault, client } = setup();
    vault.on(
      "POST /v1/auth/approle/role/sample-app/secret-id-accessor/destroy",
      new Response(null, { status: 204 }),
    );
    await client.destroySecretIdByAccessor("sample-app", "84896a0c");
    expect(JSON.parse(only(vault).body)).toEqual({ secret_id_accessor: "84896a0c" });
  });

  test("withToken: the same client, another token", async () => {
    const { vault, client } = setup();
    vault.on("GET /v1/auth/token/lookup-self", json(lookupSelfBody));
    await client.withToken(CLIENT_TOKEN).lookupSelf();
    await client.withToken(undefined).lookupSelf();
    expect(vault.requests.map((r) => r.headers["x-vault-token"])).toEqual([CLIENT_TOKEN, undefined]);
  });
});

describe("PKI and health", () => {
  let ca: KeyPairPem;
  let leaf: KeyPairPem;
  beforeAll(async () => {
    const authority = await createCertificateAuthority("fake vault pki", 3_600_000);
    ca = authority;
    leaf = await issueLeaf(authority, { commonName: "kv-0", ipSans: ["127.0.0.1"], ttlMs: 3_600_000 });
  });

  test("pkiIssue: POST <mount>/issue/<role> with comma-joined SANs; answer in PEM", async () => {
    const { vault, client } = setup();
    vault.on(
      "POST /v1/pki/int/issue/kubernetes-vault",
      json({
        data: {
          certificate: leaf.certPem,
          issuing_ca: ca.certPem,
          ca_chain: [ca.certPem],
          private_key: leaf.keyPem,
          private_key_type: "ec",
          serial_number: "39:dd:2e",
          expiration: 1700000000,
        },
      }),
    );
    const issued = await client.pkiIssue("/pki/int/", "kubernetes-vault", {
      common_name: "kv-0.kubernetes-vault",
      ip_sans: ["10.0.0.1", "127.0.0.1"],
      alt_names: ["kv-0", "localhost"],
      ttl: 3600,
    });
    const terminated = (pem: string) => `${pem.trimEnd()}\n`;
    expect(issued).toEqual({
      certificatePem: terminated(leaf.certPem),
      privateKeyPem: terminated(leaf.keyPem),
      issuingCaPem: terminated(ca.certPem),
      caChainPem: [terminated(ca.certPem)],
      serialNumber: "39:dd:2e",
      expiration: 1700000000,
    });
    expect(JSON.parse(only(vault).body)).toEqual({
      common_name: "kv-0.kubernetes-vault",
      ip_sans: "10.0.0.1,127.0.0.1",
      alt_names: "kv-0,localhost",
      ttl: "3600s",
      format: "pem",
    });
  });

  test("pkiCaPem: GET <mount>/ca/pem answers raw PEM; anything else is a shape error", async () => {
    const { vault, client } = setup();
    vault.on(
      "GET /v1/pki/ca/pem",
      new Response(ca.certPem.trimEnd(), {
        headers: { "content-type": "application/pem-certificate-chain" },
      }),
      new Response("<html>"),
    );
    expect(await client.pkiCaPem("pki")).toBe(`${ca.certPem.trimEnd()}\n`);
    expect(only(vault).headers["x-vault-token"]).toBeUndefined();
    expect(String(await client.pkiCaPem("pki").catch((e: unknown) => e))).toContain("not a PEM certificate");
  });

  test("pkiCertCa: GET <mount>/cert/ca answers {data:{certificate}}", async () => {
    const { vault, client } = setup();
    vault.on("GET /v1/pki/cert/ca", json({ data: { certificate: ca.certPem, revocation_time: 0 } }));
    expect(await client.pkiCertCa("pki")).toBe(`${ca.certPem.trimEnd()}\n`);
  });

  test("health: every documented status code is an answer", async () => {
    const { vault, client } = setup();
    vault.on(
      "GET /v1/sys/health",
      json(healthBody),
      json({ ...healthBody, standby: true }, 429),
      json({ ...healthBody, sealed: true }, 503),
      json({ ...healthBody, initialized: false, sealed: true }, 501),
    );
    expect(await client.health()).toEqual({
      status: 200,
      active: true,
      initialized: true,
      sealed: false,
      standby: false,
      performanceStandby: false,
      version: "1.17.2",
      clusterName: "vault-cluster-3bd69ca2",
    });
    expect(await client.health()).toMatchObject({ status: 429, active: false, standby: true });
    expect(await client.health()).toMatchObject({ status: 503, active: false, sealed: true });
    expect(await client.health()).toMatchObject({ status: 501, active: false, initialized: false });
    expect(vault.requests).toHaveLength(4);
  });
});
