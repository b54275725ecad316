// RAFT_PEERS: name=host:port items (IPv4, bracketed IPv6, DNS names), every problem reported with a fix; the static
// peer directory adds this replica when the list does not name it.
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, type ControllerConfig, loadControllerConfig } from "../../lib/config/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { type Coordination, defaultCoordination, staticPeerDirectory } from "../../lib/main/index.ts";
import { type ControllerMetricsRecorder, createControllerMetrics } from "../../lib/metrics/index.ts";
import { FileStorage } from "../../lib/raft/index.ts";
import { openVaultClient, type VaultClient } from "../../lib/vault/index.ts";
import { MINIMAL_CONTROLLER_ENV } from "../support/controller-env.ts";

const BASE = MINIMAL_CONTROLLER_ENV;

test("a valid list parses, and the directory lists this replica once", () => {
  const config = loadControllerConfig({
    ...BASE,
    RAFT_PEERS: "kv-0=10.0.0.5:45679, kv-1=[fd00::6]:45679,kv-2=kv-2.kubernetes-vault.svc:45679",
  });
  expect(config.raftPeers).toEqual([
    { name: "kv-0", host: "10.0.0.5", port: 45679 },
    { name: "kv-1", host: "fd00::6", port: 45679 },
    { name: "kv-2", host: "kv-2.kubernetes-vault.svc", port: 45679 },
  ]);
  const directory = staticPeerDirectory(config);
  expect(directory.self).toEqual({ name: "kv-0", raftAddress: "10.0.0.5:45679" });
  expect(directory.members().map((m) => m.raftAddress)).toEqual([
    "10.0.0.5:45679",
    "[fd00::6]:45679",
    "kv-2.kubernetes-vault.svc:45679",
  ]);
});

test("unset means a single replica; a list without this replica gets it added from POD_IP and RAFT_PORT", () => {
  expect(staticPeerDirectory(loadControllerConfig(BASE)).members()).toEqual([
    { name: "kv-0", raftAddress: "10.0.0.5:45679" },
  ]);
  const config = loadControllerConfig({ ...BASE, RAFT_PORT: "7000", RAFT_PEERS: "kv-1=10.0.0.6:7000" });
  expect(
    staticPeerDirectory(config)
      .members()
      .map((m) => m.name),
  ).toEqual(["kv-0", "kv-1"]);
});

test.each([
  ["kv-1", 'has no "="'],
  ["kv-1=10.0.0.6", "is not host:port"],
  ["KV_1=10.0.0.6:45679", "DNS-1123"],
  ["kv-1=10.0.0.6:99999", "not a TCP port"],
  ["kv-1=fd00::6:45679", "is not host:port"],
  ["kv-1=10.0.0.6:45679,kv-1=10.0.0.7:45679", "listed twice"],
  ["kv-1=10.0.0.6:45679,kv-2=10.0.0.6:45679", "given to two replicas"],
])("RAFT_PEERS=%p is refused (%s)", (value, problem) => {
  try {
    loadControllerConfig({ ...BASE, RAFT_PEERS: value });
    throw new Error("accepted");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.filter((p) => p.variable === "RAFT_PEERS");
    expect(problems.map((p) => p.problem).join(" | ")).toContain(problem);
    for (const p of problems) expect(p.fix.length).toBeGreaterThan(0);
  }
});

/** defaultCoordination over the static directory of `config`, as the controller composes it. */
function coordinationOf(
  config: ControllerConfig,
  vault: VaultClient,
  metrics: ControllerMetricsRecorder,
): Promise<Coordination> {
  // Built apart from the call, so it fits CoordinationContext with or without a `peers` field.
  const context = { config, log: createLogger("error"), vault, metrics, peers: staticPeerDirectory(config) };
  return defaultCoordination(context, context.peers);
}

test("without RAFT_PEERS the controller coordinates as a single replica: leader at once", async () => {
  const { metrics } = createControllerMetrics({ defaultMetrics: false });
  const vault = openVaultClient({ addr: "https://127.0.0.1:9", token: "s.unused-by-coordination" });
  try {
    const coordination = await coordinationOf(loadControllerConfig(BASE), vault, metrics);
    expect(coordination.leader.isLeader()).toBe(true);
    expect(coordination.peerRoutes).toBeUndefined();
  } finally {
    vault.close();
  }
});

test("without peers but with Raft state in RAFT_DIR, the replica rejoins its cluster instead of leading alone", async () => {
  const raftDir = mkdtempSync(join(tmpdir(), "raft-state-"));
  const storage = await FileStorage.open({ dir: raftDir });
  await storage.save({ entries: [], hardState: { term: 3, vote: "kv-1", commit: 0 } });
  await storage.close();
  const { metrics } = createControllerMetrics({ defaultMetrics: false });
  const vault = openVaultClient({ addr: "https://127.0.0.1:9", token: "s.unused-by-coordination" });
  try {
    const coordination = await coordinationOf(
      loadControllerConfig({ ...BASE, RAFT_DIR: raftDir }),
      vault,
      metrics,
    );
    expect(coordination.leader.isLeader()).toBe(false);
    await coordination.stop();
  } finally {
    vault.close();
  }
});
