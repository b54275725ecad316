/**
 * createControllerApp(): the controller's HTTP surface as a Hono value (no sockets; bind it with serveControllerApp
 * or lib/runtime's serve()).
 *
 * Routes:
 * - GET /metrics: the private registry in Prometheus text format with the registry's own content type, after
 *   `beforeScrape` (state that is only brought up to date lazily, such as a Raft lease that lapsed while the event
 *   loop was stalled, must not be reported stale, or two replicas can show is_leader 1 in the same scrape).
 * - GET /healthz: liveness; answering at all is the proof, so it checks nothing else.
 * - GET /readyz: 200 when every readiness check passes, else 503; the body lists each check (Kubernetes style).
 * - /raft/*: the Raft RPC sub-app, when given (peer traffic shares the port and its TLS/client-cert policy).
 * Anything else is 404.
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";
import { evaluateReadiness, type ReadinessCheck } from "./readiness.ts";

export const RAFT_ROUTE_PREFIX = "/raft";

export interface ControllerAppOptions {
  registry: Registry;
  readiness: readonly ReadinessCheck[];
  raftRoutes?: Hono;
  /** Runs before every scrape, to bring lazily evaluated gauges up to date. */
  beforeScrape?: () => void;
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };

/**
 * The probes alone, for the plain-http HEALTH_LISTEN port: kubelet probes cannot present client certificates, and
 * metrics must not leak through a port that asks for none.
 */
export function createHealthApp(readiness: readonly ReadinessCheck[]): Hono {
  const app = new Hono();
  addProbes(app, readiness);
  app.notFound(() => new Response("not found\n", { status: 404, headers: TEXT }));
  return app;
}

function addProbes(app: Hono, readiness: readonly ReadinessCheck[]): void {
  app.get("/healthz", () => new Response("ok\n", { headers: TEXT }));
  app.get("/readyz", async () => {
    const report = await evaluateReadiness(readiness);
    const verdict = report.ready ? "readyz check passed" : "readyz check failed";
    return new Response(`${[...report.lines, verdict].join("\n")}\n`, {
      status: report.ready ? 200 : 503,
      headers: TEXT,
    });
  });
}

export function createControllerApp(options: ControllerAppOptions): Hono {
  const app = new Hono();
  app.get("/metrics", async () => {
    try {
      options.beforeScrape?.();
      const body = await options.registry.metrics();
      return new Response(body, {
        headers: { "content-type": options.registry.contentType, "cache-control": "no-store" },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new Response(`collecting metrics failed: ${reason}\n`, { status: 500, headers: TEXT });
    }
  });
  addProbes(app, options.readiness);
  if (options.raftRoutes) app.route(RAFT_ROUTE_PREFIX, options.raftRoutes);
  app.notFound(() => new Response("not found\n", { status: 404, headers: TEXT }));
  return app;
}
