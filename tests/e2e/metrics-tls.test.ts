/**
 * The compiled controller's start-up refusals (a root token, a token Vault does not know, an unreachable Vault),
 * and its metrics endpoint under mutual TLS scraped by Debian's real Prometheus: the server certificate comes from
 * the sandbox's Vault PKI (IP SAN = POD_IP), client certificates must be signed by the CA of VAULT_CLIENT_CAS, and
 * `promtool check metrics` accepts the exposition.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHttpClient } from "../../lib/runtime/index.ts";
import { killAllStarted, startProcess, type TestProcess } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";
import { expectNoLeaks, failureTracking, run, tool } from "./helpers.ts";
import { type Harness, type Json, startHarness } from "./support.ts";

setDefaultTimeout(180_000);

const PROMETHEUS_ADDRESS = "127.0.42.9:9090";

let harness: Harness;
let prometheus: TestProcess | undefined;
const { check, cleanUp } = failureTracking();
let client: { certificate: string; privateKey: string; caPem: string };

beforeAll(async () => {
  harness = await startHarness({
    name: "metrics-tls",
    podIpPrefix: "127.42",
    controllerIp: "127.0.42.1",
    controllerEnv: { METRICS_TLS: "true", VAULT_CLIENT_CAS: "pki" },
  });
  await harness.startController();
  const issued = await harness.vaultRoot.call("POST", "pki/issue/kubernetes-vault", {
    common_name: "prometheus",
    ttl: "1h",
  });
  const data = issued.data as Json;
  client = {
    certificate: String(data.certificate),
    privateKey: String(data.private_key),
    caPem: String(data.issuing_ca),
  };
});

afterAll(async () => {
  await prometheus?.stop();
  await harness?.stop();
  killAllStarted();
  cleanUp(harness);
});

function metricsUrl() {
  return `https://${harness.metricsOrigin}/metrics`;
}

describe("controller start-up and metrics over mutual TLS", () => {
  check("a root token: a clear refusal on stderr, a non-zero exit, no stack trace", async () => {
    const env = harness.controllerEnv({
      VAULT_TOKEN: harness.sandbox.description.vault.rootToken,
      POD_IP: "127.0.42.5",
      POD_NAME: "kubernetes-vault-root",
      METRICS_LISTEN: "127.0.42.5:8080",
      HEALTH_LISTEN: "127.0.42.5:8081",
    });
    const result = await run(harness.controllerBinary, [], { env });
    // 1: start-up failed (2 is reserved for configuration errors), see lib/main/startup-error.ts.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("root tokens are not allowed");
    expect(result.stderr).toContain("vault token create -role=kubernetes-vault");
    expect(result.stderr).not.toMatch(/\n\s+at \S/);
    expect(result.stdout).toBe("");
    // Every line is one structured JSON log record.
    for (const line of result.stderr.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(result.stderr).not.toContain(harness.sandbox.description.vault.rootToken);
  });

  for (const [what, override, expected] of [
    [
      "a token Vault does not know",
      { VAULT_TOKEN: "hvs.not-a-real-token-000000000000" },
      /VAULT_TOKEN.*HTTP 403: .*permission denied/,
    ],
    [
      "an unreachable Vault",
      { VAULT_ADDR: "https://127.0.42.6:8200" },
      /Vault was not reached \(connect ECONNREFUSED 127\.0\.42\.6:8200\)/,
    ],
  ] as const)
    check(`${what}: a clear error on stderr, a non-zero exit, no stack trace`, async () => {
      const env = harness.controllerEnv({
        POD_IP: "127.0.42.5",
        POD_NAME: "kubernetes-vault-refused",
        METRICS_LISTEN: "127.0.42.5:8080",
        HEALTH_LISTEN: "127.0.42.5:8081",
        ...override,
      });
      const result = await run(harness.controllerBinary, [], { env, timeoutMs: 120_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(expected);
      expect(result.stderr).not.toMatch(/\n\s+at \S/);
      expect(result.stderr).not.toContain(env.VAULT_TOKEN);
      for (const line of result.stderr.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    });

  check("a scrape without a client certificate is refused", async () => {
    const anonymous = createHttpClient({ trust: { kind: "ca", caPem: client.caPem }, timeoutMs: 10_000 });
    try {
      const outcome = await anonymous
        .fetch(metricsUrl())
        .then((response) => `HTTP ${response.status}`)
        .catch((error: unknown) => `refused: ${error instanceof Error ? error.message : String(error)}`);
      // TLS 1.3 reports the server's refusal as an alert after the handshake, sometimes only as a reset.
      expect(outcome).toMatch(
        /^refused: .*(CERTIFICATE_REQUIRED|certificate required|ECONNRESET|socket hang up)/i,
      );
    } finally {
      anonymous.close();
    }
  });

  check("a scrape with a Vault-PKI client certificate passes `promtool check metrics`", async () => {
    const scraper = createHttpClient({
      trust: { kind: "ca", caPem: client.caPem },
      clientCertPem: client.certificate,
      clientKeyPem: client.privateKey,
      timeoutMs: 10_000,
    });
    try {
      const response = await scraper.fetch(metricsUrl());
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body).toMatch(/^kubernetesvault_is_leader 1$/m);
      const checked = await run(tool("promtool"), ["check", "metrics"], { stdin: body });
      expect({ code: checked.code, output: checked.stdout + checked.stderr }).toEqual({
        code: 0,
        output: "",
      });
    } finally {
      scraper.close();
    }
  });

  check("Debian's Prometheus scrapes /metrics over mutual TLS", async () => {
    const dir = join(harness.dir, "prometheus");
    mkdirSync(join(dir, "data"), { recursive: true });
    writeFileSync(join(dir, "ca.pem"), client.caPem);
    writeFileSync(join(dir, "client.pem"), client.certificate);
    writeFileSync(join(dir, "client-key.pem"), client.privateKey, { mode: 0o600 });
    // No server_name: Go checks the target's IP against the certificate's IP SANs (the controller's POD_IP).
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kubernetes-vault
    scheme: https
    tls_config:
      ca_file: ${join(dir, "ca.pem")}
      cert_file: ${join(dir, "client.pem")}
      key_file: ${join(dir, "client-key.pem")}
      insecure_skip_verify: false
    static_configs:
      - targets: ["${harness.metricsOrigin}"]
`,
    );
    prometheus = startProcess(
      tool("prometheus"),
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=${PROMETHEUS_ADDRESS}`,
        "--log.level=warn",
      ],
      { logPath: join(dir, "prometheus.log") },
    );
    const api = `http://${PROMETHEUS_ADDRESS}/api/v1`;
    const getJson = async (path: string) => {
      if (prometheus?.exitCode() !== null)
        throw new Error(`prometheus exited:\n${prometheus?.output().slice(-2000)}`);
      const response = await fetch(`${api}/${path}`, { signal: AbortSignal.timeout(2_000) });
      return (await response.json()) as { data: Json };
    };
    const target = await waitFor(
      "Prometheus to report the controller target up",
      async () => {
        const targets = ((await getJson("targets")).data.activeTargets as Json[] | undefined) ?? [];
        const found = targets.find((t) => (t.labels as Json).job === "kubernetes-vault");
        return found?.health === "up" ? found : undefined;
      },
      90_000,
      250,
    );
    expect(target.scrapeUrl).toBe(metricsUrl());
    expect(target.lastError).toBe("");
    const value = await waitFor(
      "kubernetesvault_is_leader in Prometheus",
      async () => {
        const result = (await getJson("query?query=kubernetesvault_is_leader")).data.result as
          | { value: [number, string] }[]
          | undefined;
        return result?.[0]?.value[1];
      },
      60_000,
      250,
    );
    expect(value).toBe("1");
    await prometheus.stop();
    prometheus = undefined;
  });

  check("a pod is still served, and no minted value appears in any captured log", async () => {
    await harness.createPod("team-a", "tls-served", "demo-app");
    await harness.waitForToken("team-a", "tls-served");
    await harness.waitForEvent("team-a", "tls-served", "VaultTokenDelivered");
    const scraper = createHttpClient({
      trust: { kind: "ca", caPem: client.caPem },
      clientCertPem: client.certificate,
      clientKeyPem: client.privateKey,
      timeoutMs: 10_000,
    });
    let body = "";
    try {
      body = await (await scraper.fetch(metricsUrl())).text();
    } finally {
      scraper.close();
    }
    // The delivery shows in the metrics (the original's counters and our latency histogram).
    for (const metric of [
      "kubernetesvault_server_secret_pushes_total",
      "kubernetesvault_vault_secret_id_requests_total",
      "kubernetesvault_push_latency_seconds_count",
    ])
      expect(body).toMatch(new RegExp(`^${metric}(\\{[^}]*\\})? [1-9]`, "m"));
    // The controller's own credentials are watched: its token's TTL and its certificate's expiry.
    expect(Number(/^kubernetesvault_vault_token_ttl_seconds (\d+)/m.exec(body)?.[1])).toBeGreaterThan(3600);
    const expiry =
      /^kubernetesvault_certificate_expiry_timestamp_seconds\{purpose="push-client"\} (\d+)/m.exec(body);
    expect(Number(expiry?.[1]) * 1000).toBeGreaterThan(Date.now());
    const controller = harness.controller();
    controller.signal("SIGTERM");
    expect(await controller.exited()).toBe(0);
    // Prometheus' client key is a secret too (its base64 body is what a leak would show).
    harness.issued.add(client.privateKey.split("\n")[1] ?? "");
    const scrape = join(harness.dir, "scrape.txt");
    writeFileSync(scrape, body);
    await expectNoLeaks(harness, ["team-a"], { logFiles: 3, secrets: 4, events: 1 }, [scrape]);
  });
});
