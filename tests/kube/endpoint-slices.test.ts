// watchEndpointSlices(): follows the controller Service's discovery.k8s.io/v1 EndpointSlices on the API stand-in
// (gossip seeds): several slices merged, deletions, conditions, IPv6, FQDN skipped, a malformed slice named by its
// field, and a 410 re-list. The pure reading and merging rules are checked first.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  type EndpointAddress,
  type EndpointSliceWatcher,
  mergeSlices,
  readEndpointSlice,
  watchEndpointSlices,
} from "../../lib/kube/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { waitFor } from "../support/wait.ts";
import {
  type CountingTransport,
  counting,
  expectStatus,
  type KubeFixture,
  startKubeFixture,
} from "./support.ts";

setDefaultTimeout(60_000);

const SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
const SERVICE = "kubernetes-vault";

type Conditions = { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };

function endpoint(ip: string, pod?: string, conditions?: Conditions) {
  return {
    addresses: [ip],
    ...(conditions ? { conditions } : {}),
    ...(pod ? { targetRef: { kind: "Pod", namespace: "default", name: pod } } : {}),
  };
}

function slice(name: string, addressType: string, endpoints: unknown[] | null, service = SERVICE) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      labels: {
        "kubernetes.io/service-name": service,
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType,
    endpoints,
    ports: [{ name: "gossip", port: 45678, protocol: "UDP" }],
  };
}

const address = (ip: string, extra: Partial<EndpointAddress> = {}): EndpointAddress => ({
  ip,
  ready: true,
  serving: true,
  terminating: false,
  ...extra,
});

describe("reading one slice", () => {
  test("nil conditions mean ready and serving and not terminating; serving defers to ready", () => {
    const reading = readEndpointSlice(
      slice("s", "IPv4", [
        endpoint("10.0.0.1", "p-1"),
        endpoint("10.0.0.2", undefined, { ready: null, serving: null, terminating: null }),
        endpoint("10.0.0.3", undefined, { ready: false }),
        endpoint("10.0.0.4", "p-4", { ready: false, serving: true, terminating: true }),
      ]),
    );
    expect(reading).toEqual({
      ok: true,
      slice: {
        name: "s",
        addresses: [
          address("10.0.0.1", { podName: "p-1" }),
          address("10.0.0.2"),
          address("10.0.0.3", { ready: false, serving: false }),
          address("10.0.0.4", { podName: "p-4", ready: false, terminating: true }),
        ],
      },
    });
  });

  test("the first of an endpoint's fungible addresses is used; a non-Pod targetRef names no pod", () => {
    const reading = readEndpointSlice(
      slice("s", "IPv6", [{ addresses: ["fd00::1", "fd00::2"], targetRef: { kind: "Node", name: "n" } }]),
    );
    expect(reading).toEqual({ ok: true, slice: { name: "s", addresses: [address("fd00::1")] } });
  });

  test("FQDN slices (and address types added later) contribute nothing; `endpoints: null` is an empty slice", () => {
    for (const [type, endpoints] of [
      ["FQDN", [endpoint("vault-0.example.com")]],
      ["IPv7", [endpoint("10.0.0.1")]],
      ["IPv4", null],
    ] as const)
      expect(readEndpointSlice(slice("s", type, endpoints as unknown[] | null))).toEqual({
        ok: true,
        slice: { name: "s", addresses: [] },
      });
  });

  test("a malformed slice is an error naming the slice and the field, and saying what to fix", () => {
    const reading = readEndpointSlice(
      slice("bad", "IPv4", [
        endpoint("10.0.0.1"),
        endpoint("10.0.0.2", undefined, { ready: "yes" as never }),
      ]),
    );
    expect(reading.ok).toBe(false);
    if (reading.ok) return;
    expect(reading.name).toBe("bad");
    expect(reading.error).toContain('EndpointSlice "bad": endpoints[1].conditions.ready:');
    expect(reading.error).toContain("boolean");
    expect(reading.error).toContain("fix whatever writes it");
    const empty = readEndpointSlice(slice("empty", "IPv4", [{ addresses: [] }]));
    expect(empty.ok ? "" : empty.error).toContain("endpoints[0].addresses: must hold at least one address");
    const nameless = readEndpointSlice({ addressType: "IPv4" });
    expect(nameless.ok ? "" : nameless.error).toContain("EndpointSlice (no metadata.name): metadata:");
  });
});

describe("merging slices", () => {
  test("joined in slice-name order, one entry per IP; a duplicate is live if either copy is", () => {
    const merged = mergeSlices([
      { name: "b", addresses: [address("10.0.0.2"), address("10.0.0.1", { ready: false, serving: false })] },
      {
        name: "a",
        addresses: [address("10.0.0.1", { ready: false, serving: false, terminating: true, podName: "p-1" })],
      },
      { name: "c", addresses: [address("10.0.0.3", { terminating: true }), address("10.0.0.3")] },
    ]);
    expect(merged).toEqual([
      address("10.0.0.1", { podName: "p-1", ready: false, serving: false }),
      address("10.0.0.2"),
      address("10.0.0.3"),
    ]);
  });
});

describe("watchEndpointSlices against the stand-in", () => {
  let kube: KubeFixture;
  let transport: CountingTransport;
  let watcher: EndpointSliceWatcher;
  const warnings: string[] = [];
  const ips = () =>
    watcher
      .addresses()
      .map((a) => a.ip)
      .join(",");

  beforeAll(async () => {
    kube = await startKubeFixture();
    await expectStatus(kube.admin, 201, SLICES, {
      method: "POST",
      body: slice("other-service-x1", "IPv4", [endpoint("10.9.9.9")], "other-service"),
    });
    transport = counting(kube.inCluster(), "/endpointslices");
    watcher = watchEndpointSlices({
      transport,
      namespace: "default",
      service: SERVICE,
      log: createLogger("warn", {}, (line) => warnings.push(line)),
    });
  });
  afterAll(async () => {
    await watcher?.stop();
    await kube?.close();
  });

  test("no slice yet: synced with no addresses; another Service's slices are not listed", async () => {
    await waitFor("synced", () => watcher.hasSynced());
    expect(watcher.addresses()).toEqual([]);
  });

  test("several slices (IPv4 and IPv6) are merged; updates and a deleted slice follow", async () => {
    let changes = 0;
    watcher.onChange(() => changes++);
    await expectStatus(kube.admin, 201, SLICES, {
      method: "POST",
      body: slice("kv-a", "IPv4", [
        endpoint("10.2.0.1", "kv-0"),
        endpoint("10.2.0.2", "kv-1", { ready: true, serving: false, terminating: false }),
      ]),
    });
    await expectStatus(kube.admin, 201, SLICES, {
      method: "POST",
      body: slice("kv-b", "IPv4", [endpoint("10.2.0.3", "kv-2")]),
    });
    await expectStatus(kube.admin, 201, SLICES, {
      method: "POST",
      body: slice("kv-v6", "IPv6", [endpoint("fd00::4", "kv-3")]),
    });
    await expectStatus(kube.admin, 201, SLICES, {
      method: "POST",
      body: slice("kv-fqdn", "FQDN", [endpoint("kv-9.example.com")]),
    });
    await waitFor("four addresses from three slices", () => watcher.addresses().length === 4);
    expect(watcher.addresses()).toEqual([
      address("10.2.0.1", { podName: "kv-0" }),
      address("10.2.0.2", { podName: "kv-1", serving: false }),
      address("10.2.0.3", { podName: "kv-2" }),
      address("fd00::4", { podName: "kv-3" }),
    ]);

    // kv-1 is being deleted: still listed (it may hold the Raft cluster), flagged terminating.
    await expectStatus(kube.admin, 200, `${SLICES}/kv-a`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: {
        endpoints: [
          endpoint("10.2.0.1", "kv-0"),
          endpoint("10.2.0.2", "kv-1", { ready: true, serving: true, terminating: true }),
        ],
      },
    });
    await waitFor(
      "kv-1 terminating",
      () => watcher.addresses().find((a) => a.podName === "kv-1")?.terminating,
    );
    await expectStatus(kube.admin, 200, `${SLICES}/kv-b`, { method: "DELETE" });
    await waitFor("kv-b's address gone", () => ips() === "10.2.0.1,10.2.0.2,fd00::4");
    expect(changes).toBeGreaterThanOrEqual(6);
    expect(transport.paths.every((path) => !path.includes("/api/v1/"))).toBe(true);
  });

  test("a malformed slice is logged naming its field, and its last good state is kept", async () => {
    await expectStatus(kube.admin, 200, `${SLICES}/kv-v6`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: { endpoints: [{ addresses: ["fd00::5"], conditions: { ready: "yes" } }] },
    });
    await waitFor("the warning", () => warnings.some((line) => line.includes("kv-v6")));
    const warning = JSON.parse(warnings.find((line) => line.includes("kv-v6")) ?? "{}");
    expect(warning.msg).toContain("ignoring an EndpointSlice in an unexpected shape");
    expect(warning.error).toContain('EndpointSlice "kv-v6": endpoints[0].conditions.ready:');
    expect(ips()).toBe("10.2.0.1,10.2.0.2,fd00::4");
    await expectStatus(kube.admin, 200, `${SLICES}/kv-v6`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: { endpoints: [endpoint("fd00::5", "kv-3")] },
    });
    await waitFor("the repaired slice", () => ips() === "10.2.0.1,10.2.0.2,fd00::5");
  });

  test("410 Gone after a compaction: the watcher re-lists and sees what changed meanwhile", async () => {
    const listsBefore = transport.lists;
    transport.holdWatches();
    kube.sim.cutWatches();
    await expectStatus(kube.admin, 200, `${SLICES}/kv-v6`, { method: "DELETE" });
    await expectStatus(kube.admin, 201, SLICES, {
      method: "POST",
      body: slice("kv-c", "IPv4", [endpoint("10.2.0.7", "kv-7")]),
    });
    kube.sim.compactAll();
    transport.release();
    await waitFor("the state after the outage", () => ips() === "10.2.0.1,10.2.0.2,10.2.0.7");
    expect(transport.lists).toBeGreaterThan(listsBefore);
  });
});
