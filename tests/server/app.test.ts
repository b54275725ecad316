// createControllerApp() through app.request(): /metrics, /healthz, /readyz and the Raft mount point, no sockets.
import { expect, test } from "bun:test";
import { Hono } from "hono";
import { createControllerMetrics } from "../../lib/metrics/index.ts";
import {
  cachesSyncedCheck,
  createControllerApp,
  evaluateReadiness,
  type ReadinessCheck,
  vaultTokenCheck,
} from "../../lib/server/index.ts";

function appWith(readiness: ReadinessCheck[], raftRoutes?: Hono) {
  const { registry, metrics } = createControllerMetrics();
  return { app: createControllerApp({ registry, readiness, raftRoutes }), metrics };
}

test("/metrics serves the registry in the Prometheus text format with its content type", async () => {
  const { app, metrics } = appWith([]);
  metrics.isLeader(true);
  metrics.pushed("web");
  const response = await app.request("/metrics");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const body = await response.text();
  expect(body).toContain("# TYPE kubernetesvault_is_leader gauge\nkubernetesvault_is_leader 1\n");
  expect(body).toContain('kubernetesvault_server_secret_pushes_total{approle="web"} 1');
});

test("/metrics brings lazily evaluated state up to date first: a lapsed lease reads is_leader 0 at once", async () => {
  const { registry, metrics } = createControllerMetrics();
  metrics.isLeader(true);
  // Stands in for the Raft gate, which only notices a lapsed lease when asked.
  let leaseValid = false;
  const app = createControllerApp({
    registry,
    readiness: [],
    beforeScrape: () => metrics.isLeader(leaseValid),
  });
  expect(await (await app.request("/metrics")).text()).toContain("kubernetesvault_is_leader 0\n");
  leaseValid = true;
  expect(await (await app.request("/metrics")).text()).toContain("kubernetesvault_is_leader 1\n");
});

test("/healthz answers ok whatever readiness says", async () => {
  const { app } = appWith([{ name: "never", check: () => ({ ok: false, reason: "no" }) }]);
  const response = await app.request("/healthz");
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("ok\n");
});

test("/readyz is 503 naming each failed check until the cache has synced and the Vault token is valid", async () => {
  let synced = false;
  let expiresAt: number | undefined;
  const now = 1_000_000;
  const { app } = appWith([
    cachesSyncedCheck({ hasSynced: () => synced }),
    vaultTokenCheck({ expiresAtMs: () => expiresAt }, () => now),
  ]);

  let response = await app.request("/readyz");
  expect(response.status).toBe(503);
  expect(await response.text()).toBe(
    "[-]pod-cache failed: the pod cache has not finished its first list and indexing\n" +
      "[-]vault-token failed: the Vault token has not been looked up yet\nreadyz check failed\n",
  );

  synced = true;
  expiresAt = now - 1;
  response = await app.request("/readyz");
  expect(response.status).toBe(503);
  expect(await response.text()).toContain(
    "[+]pod-cache ok\n[-]vault-token failed: the Vault token has expired",
  );

  expiresAt = now + 60_000;
  response = await app.request("/readyz");
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("[+]pod-cache ok\n[+]vault-token ok\nreadyz check passed\n");
});

test("a check that throws or hangs fails instead of hanging the probe", async () => {
  const report = await evaluateReadiness(
    [
      { name: "throws", check: () => Promise.reject(new Error("boom")) },
      { name: "hangs", check: () => new Promise(() => {}) },
      { name: "fine", check: () => ({ ok: true }) },
    ],
    50,
  );
  expect(report).toEqual({
    ready: false,
    lines: ["[-]throws failed: boom", "[-]hangs failed: no answer within 50 ms", "[+]fine ok"],
  });
});

test("Raft routes mount under /raft; unknown paths are 404", async () => {
  const raft = new Hono();
  raft.post("/append", async (c) => c.json({ received: await c.req.json() }));
  const { app } = appWith([], raft);
  const response = await app.request("/raft/append", { method: "POST", body: JSON.stringify({ term: 3 }) });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ received: { term: 3 } });
  expect((await app.request("/append", { method: "POST" })).status).toBe(404);
  expect((await appWith([]).app.request("/raft/append", { method: "POST" })).status).toBe(404);
  expect((await app.request("/metrics", { method: "POST" })).status).toBe(404);
});
