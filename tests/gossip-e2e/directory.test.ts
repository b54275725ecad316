/**
 * The gossip peer directory in process, against the Kubernetes API stand-in over HTTPS: the controller Service's
 * EndpointSlices (published as the EndpointSlice controller would) become gossip seeds, and gossip membership becomes
 * the directory's members with their Raft addresses; it follows every change of the slices, counts members in the
 * metrics, reports departures and failures with failedSince, keeps a stranger without the key out, and runs on IPv6.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  clusterLabel,
  createKeyring,
  type GossipNode,
  openUdpTransport,
  startGossipNode,
} from "../../lib/gossip/index.ts";
import { createKubeTransport, type KubeTransport, loadKubeConfig } from "../../lib/kube/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { seedsFrom } from "../../lib/main/peer-parts.ts";
import { type GossipPeerDirectory, startGossipPeerDirectory } from "../../lib/main/peers.ts";
import { createControllerMetrics } from "../../lib/metrics/index.ts";
import { startKubeApiSim } from "../../sim/kube/index.ts";
import { type ControllerEndpoint, publishControllerEndpoints } from "../../sim/sandbox/endpoints.ts";
import {
  CONTROLLER_NAMESPACE,
  CONTROLLER_SERVICE,
  provisionKubernetes,
} from "../../sim/sandbox/provision.ts";
import { waitFor } from "../support/wait.ts";

setDefaultTimeout(180_000);

const KEY = "gossip-e2e-directory-cluster-key-0123456789";
const ROGUE_KEY = "a-rogue-key-that-is-long-enough-0123456789ab";
/** Addresses of this file only: 127.0.4.x, gossip on one port as in a cluster (every pod uses GOSSIP_PORT). */
const GOSSIP_PORT = 46_781;
const RAFT_PORT = 46_782;
const ip = (n: number) => `127.0.4.${n}`;
const name = (n: number) => `kv-${n}`;

type KubeSim = Awaited<ReturnType<typeof startKubeApiSim>>;
let kube: KubeSim;
let kubeTransport: KubeTransport;
const directories: GossipPeerDirectory[] = [];
const bareNodes: GossipNode[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "gossip-e2e-directory-"));
  kube = await startKubeApiSim({ dir, hostname: "127.0.0.1", port: 0 });
  await provisionKubernetes(kube.server, kube.caPem, kube.token);
  kubeTransport = createKubeTransport(loadKubeConfig({ kubeconfigPath: kube.adminKubeconfigPath }));
});

afterAll(async () => {
  await Promise.all(directories.map((directory) => directory.stop().catch(() => {})));
  await Promise.all(bareNodes.map((node) => node.stop().catch(() => {})));
  await kube?.stop();
});

async function directory(n: number, host = ip(n), gossipPort = GOSSIP_PORT) {
  const { registry, metrics } = createControllerMetrics({ defaultMetrics: false });
  const started = await startGossipPeerDirectory({
    config: {
      podName: name(n),
      podIp: host,
      raftPort: RAFT_PORT,
      gossipPort,
      clusterSecret: KEY,
      kubernetes: { namespace: CONTROLLER_NAMESPACE, service: CONTROLLER_SERVICE, watchNamespaces: [] },
    },
    log: createLogger("warn", { instance: name(n) }),
    metrics,
    kubeTransport,
  });
  directories.push(started);
  return { directory: started, metricsText: () => registry.metrics() };
}

const names = (d: GossipPeerDirectory) =>
  d
    .members()
    .map((m) => m.name)
    .join(",");
const publish = (endpoints: ControllerEndpoint[]) => publishControllerEndpoints(kube, endpoints);

describe("gossip peer directory seeded from the EndpointSlices", () => {
  test("EndpointSlice changes become seeds and membership; departures, failures and metrics follow", async () => {
    await publish([]);
    const [a, b] = [await directory(1), await directory(2)];
    // Nobody is in the EndpointSlices yet: every replica knows only itself.
    await waitFor("the first EndpointSlice list", () => a.directory.seeds().length === 0);
    expect(names(a.directory)).toBe("kv-1");
    expect(a.directory.self).toEqual({ name: "kv-1", raftAddress: `${ip(1)}:${RAFT_PORT}` });

    let changes = 0;
    a.directory.subscribe(() => changes++);
    // A starting replica is listed as not ready: it must be discovered anyway.
    await publish([
      { ip: ip(1), podName: name(1) },
      { ip: ip(2), podName: name(2), ready: false },
    ]);
    await waitFor("kv-1 and kv-2 to see each other", () =>
      [a, b].every(({ directory }) => names(directory) === "kv-1,kv-2"),
    );
    expect(changes).toBeGreaterThan(0);

    // A replica not listed yet still finds the listed ones (gossip is symmetric); listing it changes nothing more.
    const c = await directory(3);
    await waitFor("kv-3 to join through the listed seeds", () => names(c.directory) === "kv-1,kv-2,kv-3");
    await publish([1, 2, 3].map((n) => ({ ip: ip(n), podName: name(n) })));
    await waitFor("all three to see each other", () =>
      [a, b, c].every(({ directory }) => names(directory) === "kv-1,kv-2,kv-3"),
    );
    expect(a.directory.members()).toEqual(
      [1, 2, 3].map((n) => ({ name: name(n), raftAddress: `${ip(n)}:${RAFT_PORT}` })),
    );
    expect(a.directory.failedSince("kv-3")).toBeUndefined();
    const text = await a.metricsText();
    expect(text).toMatch(/^kubernetesvault_kubernetes_discovered_nodes 3$/m);
    expect(text).toMatch(/^kubernetesvault_gossip_nodes_joined_total\{node="kv-3"\} 1$/m);

    // A graceful stop is a "left"; a silent one (SIGKILL) a "failed".
    const beforeLeave = a.directory.now();
    await c.directory.stop();
    await waitFor("kv-3's departure", () => names(a.directory) === "kv-1,kv-2");
    expect(a.directory.failedSince("kv-3")).toBeGreaterThanOrEqual(beforeLeave);
    await b.directory.gossip.stop();
    await waitFor("kv-2 declared failed", () => names(a.directory) === "kv-1", 60_000);
    const after = await a.metricsText();
    expect(after).toMatch(/^kubernetesvault_gossip_nodes_left_total\{node="kv-3"\} 1$/m);
    expect(after).toMatch(/^kubernetesvault_gossip_nodes_failed_total\{node="kv-2"\} 1$/m);
    // Never seen at all: absent since the directory started, so Raft can drop a voter rolled away long ago.
    expect(a.directory.failedSince("kv-old")).toBeLessThanOrEqual(beforeLeave);
  });

  test("a gossip member without the cluster key never becomes a member, and its packets are dropped", async () => {
    const { directory: d, metricsText } = await directory(5);
    const transport = await openUdpTransport({ host: "127.0.9.1", port: GOSSIP_PORT });
    const rogue = startGossipNode({
      name: "rogue",
      transport,
      keyring: await createKeyring([ROGUE_KEY]),
      meta: { raft: `127.0.9.1:${RAFT_PORT}` },
      label: clusterLabel(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE),
    });
    bareNodes.push(rogue);
    rogue.join([d.gossip.address]);
    await waitFor("the rogue's packets to be refused", () => d.gossip.stats().dropped.unauthenticated >= 3);
    await waitFor("the refusals in the metrics", async () =>
      /^kubernetesvault_gossip_packets_dropped_total\{reason="unauthenticated"\} [1-9]/m.test(
        await metricsText(),
      ),
    );
    expect(d.members().map((m) => m.name)).not.toContain("rogue");
    expect(d.gossip.members().map((m) => m.name)).not.toContain("rogue");
    expect(rogue.liveMembers().map((m) => m.name)).toEqual(["rogue"]);
  });

  test("IPv6: the directory binds [::1], takes an address from an IPv6 EndpointSlice and lists IPv6 members", async () => {
    // The host has one IPv6 loopback address, so the second IPv6 member listens on another port and joins us.
    const v6Port = GOSSIP_PORT + 10;
    const { directory: d, metricsText } = await directory(6, "::1", v6Port);
    expect(d.self.raftAddress).toBe(`[::1]:${RAFT_PORT}`);
    await publish([{ ip: "::1", podName: name(6) }, { ip: ip(1) }]);
    await waitFor("the IPv4 and IPv6 slices merged", async () =>
      /^kubernetesvault_kubernetes_discovered_nodes 2$/m.test(await metricsText()),
    );
    const transport = await openUdpTransport({ host: "::1", port: v6Port + 1 });
    const peer = startGossipNode({
      name: "kv-v6",
      transport,
      keyring: await createKeyring([KEY]),
      meta: { raft: `[::1]:${RAFT_PORT + 1}` },
      label: clusterLabel(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE),
    });
    bareNodes.push(peer);
    peer.join([d.gossip.address]);
    await waitFor("the IPv6 member", () => names(d) === "kv-6,kv-v6");
    expect(d.members()[1]).toEqual({ name: "kv-v6", raftAddress: `[::1]:${RAFT_PORT + 1}` });
  });
});

describe("terminating replicas", () => {
  test("stay seeds (they may still hold the Raft cluster), but settled() does not wait for them", async () => {
    const { directory: d } = await directory(7);
    // kv-8 is being deleted and has already left gossip: its slice entry lasts its whole grace period.
    await publish([
      { ip: ip(7), podName: name(7) },
      { ip: ip(8), podName: name(8), terminating: true },
    ]);
    await waitFor("the terminating seed", () => d.seeds().some((seed) => seed.host === ip(8)));
    const started = performance.now();
    await d.settled();
    // Waiting for it would take the whole 15 s settle timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe("seedsFrom", () => {
  test("one seed per address on GOSSIP_PORT, IPv6 included, without ourselves or non-addresses", () => {
    const seeds = seedsFrom(
      [{ ip: "10.0.0.1" }, { ip: "fd00::5" }, { ip: "10.0.0.1" }, { ip: "10.0.0.9" }, { ip: "not-an-ip" }],
      45678,
      { host: "10.0.0.9", port: 45678 },
    );
    expect(seeds).toEqual([
      { host: "10.0.0.1", port: 45678 },
      { host: "fd00::5", port: 45678 },
    ]);
  });
});
