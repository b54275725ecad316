// lib/metrics: every name of the original controller exactly, our additions, a private registry, and output that
// passes `promtool check metrics` (when promtool is installed) or our strict exposition reader otherwise.
import { expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { register as globalRegistry } from "prom-client";
import type { ControllerMetrics } from "../../lib/controller/assembly/index.ts";
import { createControllerMetrics, METRIC_PREFIX, ORIGINAL_METRIC_NAMES } from "../../lib/metrics/index.ts";
import { parseExposition } from "./exposition.ts";

/** The original's surface: name (without prefix), type and labels, from shared/reference/original.md. */
const ORIGINAL: [string, string, string[]][] = [
  // Gauges in the original; `untyped` here, the only type promtool's lint accepts with a _total name.
  ["kubernetes_discovered_nodes_total", "untyped", []],
  ["vault_secret_id_requests_total", "counter", ["approle"]],
  ["vault_secret_id_requests_failures_total", "counter", ["approle"]],
  ["vault_token_renewal_requests_total", "counter", []],
  ["vault_token_renewal_request_failures_total", "counter", []],
  ["vault_certificate_renewal_requests_total", "counter", []],
  ["vault_certificate_renewal_request_failures_total", "counter", []],
  ["raft_leader_changes_seen_total", "counter", []],
  ["raft_nodes_total", "untyped", []],
  ["gossip_nodes_joined_total", "counter", ["node"]],
  ["gossip_nodes_left_total", "counter", ["node"]],
  ["gossip_nodes_failed_total", "counter", ["node"]],
  ["gossip_nodes_reaped_total", "counter", ["node"]],
  ["server_secret_pushes_total", "counter", ["approle"]],
  ["server_secret_push_failures_total", "counter", ["approle"]],
];

const ADDED: [string, string, string[]][] = [
  ["kubernetes_discovered_nodes", "gauge", []],
  ["raft_nodes", "gauge", []],
  ["is_leader", "gauge", []],
  ["push_latency_seconds", "histogram", ["approle"]],
  ["workqueue_depth", "gauge", []],
  ["pushes_in_flight", "gauge", []],
  ["vault_token_ttl_seconds", "gauge", []],
  ["certificate_expiry_timestamp_seconds", "gauge", ["purpose"]],
  ["vault_token_revocations_total", "counter", []],
  ["vault_token_revocation_failures_total", "counter", ["reason"]],
  ["kubernetes_events_emitted_total", "counter", ["reason", "type"]],
  ["reconcile_terminal_errors_total", "counter", ["kind"]],
  ["reconcile_retries_total", "counter", []],
];

/** Touches every metric once, with every label, through the typed recorder only. */
function exercised() {
  const bundle = createControllerMetrics();
  const m = bundle.metrics;
  m.discoveredNodes(3);
  m.secretIdRequested("web");
  m.secretIdRequestFailed("web");
  m.renewalAttempted();
  m.renewalFailed();
  m.certificateRenewals.renewalAttempted();
  m.certificateRenewals.renewalFailed();
  m.raftLeaderChanged();
  m.raftNodes(3);
  for (const node of ["controller-1"]) {
    m.gossipNodeJoined(node);
    m.gossipNodeLeft(node);
    m.gossipNodeFailed(node);
    m.gossipNodeReaped(node);
  }
  m.pushed("web");
  m.pushFailed("web");
  m.isLeader(true);
  m.pushLatency("web", 0.004);
  m.pushLatency("web", 0.3);
  m.pushLatency("web", 45);
  m.queueDepth(7);
  m.pushesInFlight(1);
  m.tokenTtl(3600);
  m.certificateExpiry("metrics-server", Date.parse("2027-01-01T00:00:00Z"));
  m.tokenRevoked();
  m.tokenRevocationForbidden();
  m.eventEmitted("VaultRoleNotAllowed", "Warning");
  m.reconcileTerminal("not-allowed");
  m.reconcileRetried();
  return bundle;
}

test("the original's list is exactly the reference's", () => {
  expect<string[]>([...ORIGINAL_METRIC_NAMES]).toEqual(ORIGINAL.map(([name]) => name));
});

test("every original metric is exported under its exact name, type and labels; so are ours", async () => {
  const { families, problems } = parseExposition(await exercised().registry.metrics());
  expect(problems).toEqual([]);
  for (const [suffix, type, labels] of [...ORIGINAL, ...ADDED]) {
    const family = families.get(`${METRIC_PREFIX}${suffix}`);
    expect({ suffix, type: family?.type }).toEqual({ suffix, type });
    const sample = family?.samples.find((s) => s.name === family.name || s.name === `${family.name}_count`);
    expect({ suffix, labels: Object.keys(sample?.labels ?? {}).sort() }).toEqual({
      suffix,
      labels: [...labels].sort(),
    });
  }
});

test("values arrive where the recorder puts them", async () => {
  const { families } = parseExposition(await exercised().registry.metrics());
  const value = (name: string, labels: Record<string, string> = {}) =>
    families
      .get(`${METRIC_PREFIX}${name}`)
      ?.samples.find((s) => s.name.endsWith(name) && JSON.stringify(s.labels) === JSON.stringify(labels))
      ?.value;
  expect(value("is_leader")).toBe(1);
  expect(value("server_secret_pushes_total", { approle: "web" })).toBe(1);
  expect(value("vault_token_revocation_failures_total", { reason: "forbidden" })).toBe(1);
  expect(value("certificate_expiry_timestamp_seconds", { purpose: "metrics-server" })).toBe(1798761600);
  const buckets = families
    .get(`${METRIC_PREFIX}push_latency_seconds`)
    ?.samples.filter((s) => s.name.endsWith("_bucket"));
  expect(buckets?.map((bucket) => bucket.labels.le)).toEqual([
    "0.005",
    "0.01",
    "0.025",
    "0.05",
    "0.1",
    "0.25",
    "0.5",
    "1",
    "2.5",
    "5",
    "10",
    "30",
    "+Inf",
  ]);
  expect(buckets?.find((bucket) => bucket.labels.le === "0.005")?.value).toBe(1);
  expect(buckets?.find((bucket) => bucket.labels.le === "30")?.value).toBe(2);
  expect(buckets?.at(-1)?.value).toBe(3);
});

test("a fresh registry reports not-leader, an empty queue and the process defaults", async () => {
  const { families } = parseExposition(await createControllerMetrics().registry.metrics());
  expect(families.get(`${METRIC_PREFIX}is_leader`)?.samples[0]?.value).toBe(0);
  expect(families.get(`${METRIC_PREFIX}workqueue_depth`)?.samples[0]?.value).toBe(0);
  expect(families.has("process_cpu_user_seconds_total")).toBe(true);
  expect(families.has("process_resident_memory_bytes")).toBe(true);
});

test("registries are private: two coexist and the global default registry stays empty of ours", async () => {
  const first = createControllerMetrics({ defaultMetrics: false });
  const second = createControllerMetrics({ defaultMetrics: false });
  first.metrics.pushed("a");
  expect(
    await second.registry.getSingleMetricAsString(`${METRIC_PREFIX}server_secret_pushes_total`),
  ).not.toContain('approle="a"');
  expect(globalRegistry.getSingleMetric(`${METRIC_PREFIX}is_leader`)).toBeUndefined();
});

test("the recorder is lib/controller's ControllerMetrics", () => {
  const metrics: ControllerMetrics = createControllerMetrics({ defaultMetrics: false }).metrics;
  expect(typeof metrics.reconcileTerminal).toBe("function");
});

test("promtool check metrics finds nothing (PROMTOOL or promtool on PATH; else our strict reader)", async () => {
  const text = await exercised().registry.metrics();
  const promtool = process.env.PROMTOOL || Bun.which("promtool");
  if (!promtool) {
    expect(parseExposition(text).problems).toEqual([]);
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), "promtool-"));
  try {
    await writeFile(path.join(dir, "metrics.txt"), text);
    const run = Bun.spawnSync([promtool, "check", "metrics"], {
      stdin: Bun.file(path.join(dir, "metrics.txt")),
    });
    expect(`${run.stdout.toString()}${run.stderr.toString()}`.trim()).toBe("");
    expect(run.exitCode).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the original's values still arrive under the original names", async () => {
  const bundle = createControllerMetrics({ defaultMetrics: false });
  bundle.metrics.raftNodes(5);
  bundle.metrics.discoveredNodes(4);
  const { families } = parseExposition(await bundle.registry.metrics());
  const value = (name: string) => families.get(`${METRIC_PREFIX}${name}`)?.samples[0]?.value;
  expect([
    value("raft_nodes_total"),
    value("raft_nodes"),
    value("kubernetes_discovered_nodes_total"),
    value("kubernetes_discovered_nodes"),
  ]).toEqual([5, 5, 4, 4]);
});
