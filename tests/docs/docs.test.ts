/**
 * The user docs keep up with the code: every Event reason the controller can write (EVENT_REASONS) is explained in
 * docs/troubleshooting.md, every metric in the controller's registry is described in docs/metrics.md (with its
 * type), and the example alert rules there pass `promtool check rules` and only query metrics that exist.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EVENT_REASONS } from "../../lib/controller/index.ts";
import { createMetricsRegistry, METRIC_PREFIX } from "../../lib/metrics/index.ts";

setDefaultTimeout(180_000);

const ROOT = resolve(import.meta.dir, "../..");
const metricsDoc = readFileSync(join(ROOT, "docs/metrics.md"), "utf8");
const troubleshootingDoc = readFileSync(join(ROOT, "docs/troubleshooting.md"), "utf8");

async function registeredMetrics(): Promise<{ name: string; type: string }[]> {
  const { registry } = createMetricsRegistry({ defaultMetrics: false });
  return (await registry.getMetricsAsJSON()).map((metric) => ({
    name: metric.name,
    type: String(metric.type),
  }));
}

function promtool(): string | undefined {
  const local = join(ROOT, ".tools/bin/promtool");
  if (existsSync(local)) return local;
  const found = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function alertRulesYaml(): string {
  const block = /## Example alert rules[\s\S]*?```yaml\n([\s\S]*?)```/.exec(metricsDoc)?.[1];
  if (!block) throw new Error("docs/metrics.md has no ```yaml block under '## Example alert rules'");
  return block;
}

describe("docs/troubleshooting.md", () => {
  test("explains every Event reason with its type", () => {
    const reasons = Object.entries(EVENT_REASONS);
    expect(reasons.length).toBeGreaterThan(0);
    const missing = reasons.filter(
      ([reason, type]) =>
        !new RegExp(`\\|\\s*\`${reason}\`\\s*\\|\\s*${type}\\s*\\|`).test(troubleshootingDoc),
    );
    expect(missing.map(([reason, type]) => `${reason} (${type})`)).toEqual([]);
  });

  test("covers the init's timeout, the root-token refusal and configuration exit code 2", () => {
    expect(troubleshootingDoc).toContain(
      "kubernetes-vault init: timed out after 5m0s without receiving a valid secret_id push.",
    );
    expect(troubleshootingDoc).toContain("root tokens are not allowed");
    expect(troubleshootingDoc).toMatch(/exit code 2/);
  });
});

describe("docs/metrics.md", () => {
  test("describes every registered metric with its type", async () => {
    const metrics = await registeredMetrics();
    expect(metrics.length).toBeGreaterThan(20);
    const missing = metrics.filter(
      ({ name, type }) => !new RegExp(`\\|\\s*\`${name}\`\\s*\\|\\s*${type}\\s*\\|`).test(metricsDoc),
    );
    expect(missing.map(({ name, type }) => `${name} (${type})`)).toEqual([]);
  });

  test("names no metric that does not exist", async () => {
    const known = new Set((await registeredMetrics()).map(({ name }) => name));
    const mentioned = new Set(
      [...metricsDoc.matchAll(new RegExp(`${METRIC_PREFIX}[a-z_]+`, "g"))]
        .map((match) => match[0])
        // A histogram's series carry suffixes; the family name is what the registry knows.
        .map((name) => name.replace(/_(bucket|sum|count)$/, "")),
    );
    expect([...mentioned].filter((name) => !known.has(name))).toEqual([]);
  });

  test("its example alert rules pass promtool check rules", () => {
    const binary = promtool();
    if (!binary)
      throw new Error("promtool not found: run scripts/install-tools.sh (it installs .tools/bin/promtool)");
    const dir = mkdtempSync(join(tmpdir(), "kv-docs-"));
    try {
      const file = join(dir, "rules.yaml");
      writeFileSync(file, alertRulesYaml());
      const result = spawnSync(binary, ["check", "rules", file], { encoding: "utf8" });
      expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toMatchObject({
        status: 0,
      });
      expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("alerts on no leader, rising push failures, low token TTL and an expiring certificate", () => {
    const rules = alertRulesYaml();
    expect(rules).toMatch(/expr: sum\(kubernetesvault_is_leader\) < 1/);
    expect(rules).toContain("kubernetesvault_server_secret_push_failures_total");
    expect(rules).toContain("kubernetesvault_vault_token_ttl_seconds");
    expect(rules).toContain("kubernetesvault_certificate_expiry_timestamp_seconds");
  });
});
