// serveControllerApp(): the app over real HTTPS on loopback, with client-certificate auth (VAULT_CLIENT_CAS) and
// certificate rotation without a restart.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createControllerMetrics } from "../../lib/metrics/index.ts";
import { createHttpClient, type RunningServer } from "../../lib/runtime/index.ts";
import { createControllerApp, serveControllerApp } from "../../lib/server/index.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueLeaf,
  type KeyPairPem,
} from "../../lib/tls/index.ts";

setDefaultTimeout(60_000);

const HOUR = 3_600_000;
let serverCa: CertificateAuthority;
let clientCa: CertificateAuthority;
let scraper: KeyPairPem;
let server: RunningServer;

beforeAll(async () => {
  serverCa = await createCertificateAuthority("metrics server CA", HOUR);
  clientCa = await createCertificateAuthority("scraper CA", HOUR);
  scraper = await issueLeaf(clientCa, { commonName: "prometheus", ttlMs: HOUR, usages: ["client"] });
  const leaf = await issueLeaf(serverCa, {
    commonName: "controller",
    ipSans: ["127.0.0.1"],
    ttlMs: HOUR,
    usages: ["server"],
  });
  const { registry } = createControllerMetrics();
  const app = createControllerApp({ registry, readiness: [] });
  server = await serveControllerApp(app, {
    hostname: "127.0.0.1",
    port: 0,
    tls: { certPem: leaf.certPem, keyPem: leaf.keyPem, clientCaPem: clientCa.certPem },
  });
});
afterAll(async () => {
  await server?.stop(true);
});

async function scrape(caPem: string, client?: KeyPairPem): Promise<number> {
  const http = createHttpClient({
    trust: { kind: "ca", caPem },
    ...(client ? { clientCertPem: client.certPem, clientKeyPem: client.keyPem } : {}),
    keepAlive: false,
  });
  try {
    const response = await http.fetch(`${server.url}/metrics`);
    await response.text();
    return response.status;
  } finally {
    http.close();
  }
}

test("a scraper with a certificate from the client CA gets /metrics over verified TLS", async () => {
  expect(await scrape(serverCa.certPem, scraper)).toBe(200);
});

test("no client certificate, or one from another CA, is refused during the handshake", async () => {
  await expect(scrape(serverCa.certPem)).rejects.toThrow();
  const stranger = await issueLeaf(serverCa, { commonName: "stranger", ttlMs: HOUR, usages: ["client"] });
  await expect(scrape(serverCa.certPem, stranger)).rejects.toThrow();
});

test("rotateTls() installs a renewed certificate on the same port", async () => {
  const renewedCa = await createCertificateAuthority("renewed server CA", HOUR);
  const renewed = await issueLeaf(renewedCa, {
    commonName: "controller",
    ipSans: ["127.0.0.1"],
    ttlMs: HOUR,
    usages: ["server"],
  });
  const port = server.port;
  await server.rotateTls({
    certPem: renewed.certPem,
    keyPem: renewed.keyPem,
    clientCaPem: clientCa.certPem,
    requireClientCert: true,
  });
  expect(server.port).toBe(port);
  expect(await scrape(renewedCa.certPem, scraper)).toBe(200);
  await expect(scrape(serverCa.certPem, scraper)).rejects.toThrow();
});

test("plain http when no TLS is configured", async () => {
  const { registry } = createControllerMetrics({ defaultMetrics: false });
  const plain = await serveControllerApp(createControllerApp({ registry, readiness: [] }), {
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    const response = await fetch(`${plain.url}/healthz`);
    expect(response.status).toBe(200);
    expect(plain.url.startsWith("http://")).toBe(true);
  } finally {
    await plain.stop(true);
  }
});
