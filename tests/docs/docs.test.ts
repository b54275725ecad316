/**
 * The user docs keep up with the code: every Event reason the controller can write (EVENT_REASONS) is explained in
 * docs/troubleshooting.md, every metric in the controller's registry is described in docs/metrics.md (with its
 * type), and the example alert rules there pass `promtool check rules` and only query metrics that exist.
 * docs/sidecar.md names only variables lib/config reads, with the defaults the code has, and only metrics, Events
 * and endpoints that exist; its numbers (2/3, 10%, 1/4, 3 s) are the code's constants; and the links between the
 * docs and the README point at headings that exist.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  CONTROLLER_DEFAULTS,
  CONTROLLER_ENV_NAMES,
  INIT_ENV_NAMES,
  loadInitConfig,
  parseDuration,
} from "../../lib/config/index.ts";
import {
  EVENT_REASONS,
  SIDECAR_MARGIN_LEASE_FRACTION,
  STATUS_TIMEOUT_MS,
} from "../../lib/controller/index.ts";
import { READY_PATH, RENEW_AT, RENEW_JITTER } from "../../lib/init/index.ts";
import { createMetricsRegistry, METRIC_PREFIX } from "../../lib/metrics/index.ts";
import { STATUS_PATH } from "../../lib/push/index.ts";

setDefaultTimeout(180_000);

const ROOT = resolve(import.meta.dir, "../..");
const metricsDoc = readFileSync(join(ROOT, "docs/metrics.md"), "utf8");
const troubleshootingDoc = readFileSync(join(ROOT, "docs/troubleshooting.md"), "utf8");
const sidecarDoc = readFileSync(join(ROOT, "docs/sidecar.md"), "utf8");

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

/** The rows of the first table under `## <heading>`, as cells without their backticks. */
function tableRows(doc: string, heading: string): string[][] {
  const section = doc.split(new RegExp(`^## ${heading}$`, "m"))[1]?.split(/^## /m)[0] ?? "";
  const lines = section.split("\n");
  const start = lines.findIndex((line) => line.startsWith("|"));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith("|"));
  return lines.slice(start + 2, end === -1 ? undefined : end).map((line) =>
    line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/^`|`$/g, "")),
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

function anchors(doc: string): Set<string> {
  return new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] ?? "")));
}

/** Controller defaults the sidecar doc states, in the unit the doc writes them in. */
const CONTROLLER_DOC_DEFAULTS: Record<string, (text: string) => boolean> = {
  SIDECAR_REISSUE_MARGIN: (text) => parseDuration(text) === CONTROLLER_DEFAULTS.sidecarReissueMarginMs,
};

describe("docs/sidecar.md", () => {
  const settings = tableRows(sidecarDoc, "Settings");

  test("its settings table names only variables lib/config reads, for the right program", () => {
    expect(settings.length).toBeGreaterThanOrEqual(4);
    const unknown = settings.filter(
      ([where, name]) => !(where === "init" ? INIT_ENV_NAMES : CONTROLLER_ENV_NAMES).includes(name ?? ""),
    );
    expect(unknown.map(([where, name]) => `${where} ${name}`)).toEqual([]);
  });

  test("each init default in the table changes nothing when set explicitly", () => {
    const minimal = { VAULT_ROLE_ID: "role-id-for-docs-test", INSECURE_UNAUTHENTICATED_PUSH: "true" };
    const withoutWarnings = (env: Record<string, string>) => {
      const { warnings: _, ...config } = loadInitConfig(env);
      return config;
    };
    const rows = settings.filter(([where]) => where === "init");
    expect(rows.length).toBeGreaterThan(0);
    for (const [, name = "", value = ""] of rows) {
      // In sidecar mode, where its settings matter (MODE itself is compared against no MODE at all).
      const base = name === "MODE" ? minimal : { ...minimal, MODE: "sidecar" };
      expect({ name, config: withoutWarnings({ ...base, [name]: value }) }).toEqual({
        name,
        config: withoutWarnings(base),
      });
    }
  });

  test("each controller default in the table is the code's", () => {
    const rows = settings.filter(([where]) => where === "controller");
    expect(rows.length).toBeGreaterThan(0);
    for (const [, name, value] of rows) {
      const check = CONTROLLER_DOC_DEFAULTS[name ?? ""];
      if (!check) throw new Error(`${name}: add its default to CONTROLLER_DOC_DEFAULTS in this test`);
      expect({ name, matches: check(value ?? "") }).toEqual({ name, matches: true });
    }
  });

  test("the overlay sets the SIDECAR_REISSUE_MARGIN the doc says it does", () => {
    const said = /The overlay sets `([^`]+)`/.exec(sidecarDoc)?.[1];
    const overlay = readFileSync(join(ROOT, "kustomize/overlays/native-sidecar/kustomization.yaml"), "utf8");
    expect(overlay).toContain(`- SIDECAR_REISSUE_MARGIN=${said}`);
  });

  test("names only metrics and Event reasons that exist, and the endpoints the code serves", async () => {
    const known = new Set((await registeredMetrics()).map(({ name }) => name));
    const metrics = [...sidecarDoc.matchAll(new RegExp(`${METRIC_PREFIX}[a-z_]+`, "g"))].map((m) => m[0]);
    expect(metrics.length).toBeGreaterThanOrEqual(4);
    expect(metrics.filter((name) => !known.has(name))).toEqual([]);
    const reasons = [...sidecarDoc.matchAll(/`((?:Vault|Invalid)[A-Z][A-Za-z]+)`/g)].map((m) => m[1] ?? "");
    expect(reasons).toEqual(expect.arrayContaining(["VaultTokenReissued", "InvalidVaultSidecar"]));
    expect(reasons.filter((reason) => !(reason in EVENT_REASONS))).toEqual([]);
    expect(sidecarDoc).toContain(`GET ${READY_PATH}\``);
    expect(sidecarDoc).toContain(`GET ${STATUS_PATH}\``);
  });

  test("its numbers are the code's: renew at 2/3 up to 10% early, margin at most 1/4, status within 3 s", () => {
    expect(RENEW_AT).toBe(2 / 3);
    expect(sidecarDoc).toContain(`to ${RENEW_JITTER * 100}% earlier`);
    expect(SIDECAR_MARGIN_LEASE_FRACTION).toBe(1 / 4);
    expect(sidecarDoc).toContain("capped at\n   1/4 of the token's lease");
    expect(sidecarDoc).toContain(`no answer within ${STATUS_TIMEOUT_MS / 1000} s`);
  });

  test("links to the other docs and the README point at headings that exist", () => {
    const docs: Record<string, string> = {
      "docs/sidecar.md": sidecarDoc,
      "docs/metrics.md": metricsDoc,
      "docs/troubleshooting.md": troubleshootingDoc,
      "README.md": readFileSync(join(ROOT, "README.md"), "utf8"),
    };
    const broken: string[] = [];
    for (const [from, text] of Object.entries(docs))
      for (const [, target = "", anchor] of text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]+))?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const path = target === "" ? from : join(from, "..", target).replace(/^\.\//, "");
        if (!existsSync(join(ROOT, path))) broken.push(`${from}: ${target} does not exist`);
        else if (anchor && path.endsWith(".md")) {
          const doc = docs[path] ?? readFileSync(join(ROOT, path), "utf8");
          if (!anchors(doc).has(anchor)) broken.push(`${from}: ${path} has no heading #${anchor}`);
        }
      }
    expect(broken).toEqual([]);
  });
});
