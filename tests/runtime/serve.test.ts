// serve() and createHttpClient() over real TLS on loopback, under both engines (Bun.serve and node:https).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHttpClient, HttpClientError, type RunningServer, serve } from "../../lib/runtime/index.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  describeCertificate,
  issueLeaf,
  type KeyPairPem,
  selfSignedLeaf,
} from "../../lib/tls/index.ts";

const HOUR = 3_600_000;
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let serverLeaf: KeyPairPem;
let clientLeaf: KeyPairPem;
let strangerLeaf: KeyPairPem;

beforeAll(async () => {
  ca = await createCertificateAuthority("runtime test CA", HOUR);
  otherCa = await createCertificateAuthority("stranger CA", HOUR);
  serverLeaf = await issueLeaf(ca, { commonName: "server", ipSans: ["127.3.0.1", "127.3.0.2"], ttlMs: HOUR });
  clientLeaf = await issueLeaf(ca, { commonName: "client", ttlMs: HOUR, usages: ["client"] });
  strangerLeaf = await issueLeaf(otherCa, { commonName: "stranger", ttlMs: HOUR, usages: ["client"] });
});

const echo = async (request: Request, info: { remoteAddress: string }) =>
  Response.json({
    method: request.method,
    path: new URL(request.url).pathname,
    from: info.remoteAddress,
    body: await request.text(),
  });

for (const engine of ["auto", "node"] as const) {
  describe(`serve() with the ${engine} engine`, () => {
    const servers: RunningServer[] = [];
    afterAll(async () => {
      for (const server of servers) await server.stop(true);
    });

    test("plain http reports the caller's source address", async () => {
      const server = await serve({ hostname: "127.3.0.1", port: 0, fetch: echo, engine });
      servers.push(server);
      const client = createHttpClient({ localAddress: "127.3.0.9" });
      const response = await client.fetch(`${server.url}/x`, { method: "POST", body: "hello" });
      expect(await response.json()).toEqual({ method: "POST", path: "/x", from: "127.3.0.9", body: "hello" });
      client.close();
    });

    test("mutual TLS accepts a certificate from the CA and refuses none or a stranger's", async () => {
      const server = await serve({
        hostname: "127.3.0.1",
        port: 0,
        fetch: echo,
        engine,
        tls: { ...serverLeaf, clientCaPem: ca.certPem, requireClientCert: true },
      });
      servers.push(server);
      const good = createHttpClient({
        trust: { kind: "ca", caPem: ca.certPem },
        clientCertPem: clientLeaf.certPem,
        clientKeyPem: clientLeaf.keyPem,
      });
      expect((await good.fetch(`${server.url}/`)).status).toBe(200);
      const none = createHttpClient({ trust: { kind: "ca", caPem: ca.certPem } });
      await expect(none.fetch(`${server.url}/`)).rejects.toBeInstanceOf(HttpClientError);
      const stranger = createHttpClient({
        trust: { kind: "ca", caPem: ca.certPem },
        clientCertPem: strangerLeaf.certPem,
        clientKeyPem: strangerLeaf.keyPem,
      });
      await expect(stranger.fetch(`${server.url}/`)).rejects.toBeInstanceOf(HttpClientError);
      for (const c of [good, none, stranger]) c.close();
    });

    test("rotateTls serves the new certificate on the same port", async () => {
      const server = await serve({ hostname: "127.3.0.2", port: 0, fetch: echo, engine, tls: serverLeaf });
      servers.push(server);
      const seen: string[] = [];
      const peek = createHttpClient({
        keepAlive: false,
        trust: {
          kind: "peer-check",
          check: (der) => {
            seen.push(describeCertificate(der).subjectCommonName);
            return undefined;
          },
        },
      });
      await peek.fetch(`${server.url}/`);
      const renewed = await issueLeaf(ca, { commonName: "renewed", ipSans: ["127.3.0.2"], ttlMs: HOUR });
      await server.rotateTls(renewed);
      await peek.fetch(`${server.url}/`);
      expect(seen).toEqual(["server", "renewed"]);
      peek.close();
    });

    test("oversize bodies are refused before the handler sees them", async () => {
      let handled = 0;
      const server = await serve({
        hostname: "127.3.0.1",
        port: 0,
        engine,
        maxRequestBodyBytes: 1024,
        fetch: async (request) => {
          handled += 1;
          await request.text();
          return new Response("ok");
        },
      });
      servers.push(server);
      const client = createHttpClient();
      const response = await client
        .fetch(`${server.url}/`, { method: "POST", body: "x".repeat(10_000) })
        .catch((e: Error) => e);
      const refused = response instanceof Error || response.status === 413;
      expect(refused).toBe(true);
      expect(handled).toBe(0);
      client.close();
    });
  });
}

describe("createHttpClient", () => {
  test("peer-check refuses a certificate that does not name the expected address", async () => {
    const leaf = await selfSignedLeaf({ commonName: "pod", ipSans: ["127.3.1.1"], ttlMs: HOUR });
    const server = await serve({ hostname: "127.3.1.2", port: 0, fetch: echo, tls: leaf });
    try {
      const client = createHttpClient({
        trust: {
          kind: "peer-check",
          check: (der) =>
            describeCertificate(der).ipSans.includes("127.3.1.2")
              ? undefined
              : "certificate does not name 127.3.1.2",
        },
      });
      const error = await client.fetch(`${server.url}/`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpClientError);
      expect((error as HttpClientError).code).toBe("peer-rejected");
      client.close();
    } finally {
      await server.stop(true);
    }
  });

  test("a server that never answers times out with a clear error", async () => {
    const server = await serve({
      hostname: "127.3.1.3",
      port: 0,
      fetch: () => new Promise<Response>(() => {}),
    });
    try {
      const client = createHttpClient({ timeoutMs: 300 });
      const error = await client.fetch(`${server.url}/`).catch((e: unknown) => e);
      expect((error as HttpClientError).code).toBe("timeout");
      expect((error as Error).message).toContain("127.3.1.3");
      client.close();
    } finally {
      await server.stop(true);
    }
  });

  test("an already-aborted signal refuses the request before any connection", async () => {
    const client = createHttpClient();
    const error = await client
      .fetch("http://127.3.1.5:9/", { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect((error as HttpClientError).code).toBe("aborted");
    client.close();
  });

  test("a closed port is a connect error", async () => {
    const client = createHttpClient({ timeoutMs: 5_000 });
    const error = await client.fetch("http://127.3.1.4:9/").catch((e: unknown) => e);
    expect((error as HttpClientError).code).toBe("connect");
    client.close();
  });
});
