// The client over real HTTPS on loopback: the fake Vault served by lib/runtime's serve() with a CA from lib/tls,
// reached through openVaultClient (createHttpClient): CA trust, client certificates, source address, and status 0
// when TLS or the connection fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type RunningServer, serve } from "../../lib/runtime/index.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueLeaf,
  type KeyPairPem,
} from "../../lib/tls/index.ts";
import { openVaultClient } from "../../lib/vault/index.ts";
import { createFakeVault, type FakeVault, json, vaultErrorOf } from "./fake-vault.ts";
import { healthBody, lookupSelfBody, TOKEN, WRAPPING_TOKEN, wrappedSecretIdBody } from "./samples.ts";

const HOUR = 3_600_000;
const HOST = "127.4.0.1";
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let clientLeaf: KeyPairPem;
let vault: FakeVault;
let server: RunningServer;
let mtlsServer: RunningServer;
const remotes: string[] = [];

beforeAll(async () => {
  ca = await createCertificateAuthority("vault test CA", HOUR);
  otherCa = await createCertificateAuthority("someone else", HOUR);
  const serverLeaf = await issueLeaf(ca, { commonName: "vault", ipSans: [HOST], ttlMs: HOUR });
  clientLeaf = await issueLeaf(ca, { commonName: "kubernetes-vault", ttlMs: HOUR, usages: ["client"] });
  vault = createFakeVault();
  vault.on("GET /v1/sys/health", json(healthBody));
  vault.on("GET /v1/auth/token/lookup-self", json(lookupSelfBody));
  vault.on("PUT /v1/auth/approle/role/sample-app/secret-id", json(wrappedSecretIdBody));
  const handler = (request: Request, info: { remoteAddress: string }) => {
    remotes.push(info.remoteAddress);
    return vault.app.fetch(request);
  };
  server = await serve({ hostname: HOST, port: 0, tls: serverLeaf, fetch: handler });
  mtlsServer = await serve({
    hostname: HOST,
    port: 0,
    tls: { ...serverLeaf, clientCaPem: ca.certPem, requireClientCert: true },
    fetch: handler,
  });
});
afterAll(async () => {
  await server?.stop(true);
  await mtlsServer?.stop(true);
});

describe("over HTTPS", () => {
  test("trusts Vault through VAULT_CACERT's CA and sends the token, from the given source address", async () => {
    const client = openVaultClient({
      addr: server.url,
      token: TOKEN,
      caPem: ca.certPem,
      localAddress: "127.4.0.9",
    });
    try {
      expect((await client.health()).active).toBe(true);
      expect((await client.lookupSelf()).accessor).toBe(lookupSelfBody.data.accessor);
      const wrapped = await client.createWrappedSecretId(
        "sample-app",
        { metadata: { pod: "default/web" }, cidrList: ["127.1.0.1/32"], numUses: 1, ttlSeconds: 120 },
        60,
      );
      expect(wrapped.wrappingToken).toBe(wrappedSecretIdBody.wrap_info.token);
      const put = vault.requests.at(-1);
      expect(put?.method).toBe("PUT");
      expect(put?.headers["x-vault-wrap-ttl"]).toBe("60s");
      expect(put?.headers["x-vault-token"]).toBe(TOKEN);
      expect(remotes.at(-1)).toBe("127.4.0.9");
    } finally {
      client.close();
    }
  });

  test("a Vault certificate from another CA is refused: status 0, a TLS cause, no token", async () => {
    const client = openVaultClient({
      addr: server.url,
      token: TOKEN,
      caPem: otherCa.certPem,
      retry: { attempts: 1 },
    });
    try {
      const error = await vaultErrorOf(client.lookupSelf());
      expect(error.status).toBe(0);
      expect(error.causeText ?? "").toMatch(/certificate|verify|self.signed|issuer/i);
      expect(error.message).not.toContain(TOKEN);
    } finally {
      client.close();
    }
  });

  test("a client certificate satisfies a Vault that requires one; without it the handshake fails", async () => {
    const withCert = openVaultClient({
      addr: mtlsServer.url,
      caPem: ca.certPem,
      clientCertPem: clientLeaf.certPem,
      clientKeyPem: clientLeaf.keyPem,
    });
    const without = openVaultClient({ addr: mtlsServer.url, caPem: ca.certPem, retry: { attempts: 1 } });
    try {
      expect((await withCert.health()).status).toBe(200);
      expect((await vaultErrorOf(without.health())).status).toBe(0);
    } finally {
      withCert.close();
      without.close();
    }
  });

  test("nobody listening: status 0 after the retries of a safe call; the wrapping token stays out of the error", async () => {
    const probe = await serve({ hostname: HOST, port: 0, fetch: () => new Response("") });
    const deadUrl = probe.url.replace("http:", "https:");
    await probe.stop(true);
    const client = openVaultClient({
      addr: deadUrl,
      caPem: ca.certPem,
      retry: { attempts: 2, baseDelayMs: 1 },
    });
    try {
      const error = await vaultErrorOf(client.lookupWrapping(WRAPPING_TOKEN));
      expect(error.status).toBe(0);
      expect(error.message).toContain("POST /v1/sys/wrapping/lookup");
      expect(error.message).not.toContain(WRAPPING_TOKEN);
    } finally {
      client.close();
    }
  });
});
