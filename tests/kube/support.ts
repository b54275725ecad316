/**
 * Shared by tests/kube: the Kubernetes API stand-in in a temp dir, a pod's service-account files for in-cluster
 * auth, an admin transport for arranging objects, and a transport wrapper that counts requests by kind.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createKubeTransport, type KubeTransport, loadKubeConfig } from "../../lib/kube/index.ts";
import { type KubeApiSim, startKubeApiSim } from "../../sim/kube/index.ts";

/** The ServiceAccount test pods run as; like a real one, the stand-in refuses pods whose account is missing. */
const POD_SERVICE_ACCOUNT = "app";

export interface KubeFixture {
  sim: KubeApiSim;
  dir: string;
  admin: KubeTransport;
  /** A transport configured exactly as in-cluster service-account auth (token + CA files, service env). */
  inCluster(): KubeTransport;
  close(): Promise<void>;
}

export async function startKubeFixture(): Promise<KubeFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), "kube-lib-"));
  const sim = await startKubeApiSim({ dir, hostname: "127.0.0.1" });
  const serviceAccountDir = path.join(dir, "serviceaccount");
  await mkdir(serviceAccountDir);
  await writeFile(path.join(serviceAccountDir, "token"), sim.token);
  await writeFile(path.join(serviceAccountDir, "ca.crt"), sim.caPem);
  const url = new URL(sim.server);
  const env = { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port };
  const admin = createKubeTransport(loadKubeConfig({ kubeconfigPath: sim.adminKubeconfigPath }));
  await createServiceAccount(admin, "default", POD_SERVICE_ACCOUNT);
  return {
    sim,
    dir,
    admin,
    inCluster: () => createKubeTransport(loadKubeConfig({ serviceAccountDir, env })),
    async close() {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function expectStatus(
  transport: KubeTransport,
  status: number,
  ...request: Parameters<KubeTransport["request"]>
): Promise<unknown> {
  const answer = await transport.request(...request);
  if (answer.status !== status)
    throw new Error(
      `${request[1]?.method ?? "GET"} ${request[0]}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  return answer.body;
}

async function createServiceAccount(admin: KubeTransport, namespace: string, name: string): Promise<void> {
  await expectStatus(admin, 201, `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    method: "POST",
    body: { metadata: { name } },
  });
}

/** A namespace with the ServiceAccount test pods run as. */
export async function createNamespace(admin: KubeTransport, name: string): Promise<void> {
  await expectStatus(admin, 201, "/api/v1/namespaces", { method: "POST", body: { metadata: { name } } });
  await createServiceAccount(admin, name, POD_SERVICE_ACCOUNT);
}

export function podBody(name: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, annotations: { "unrelated.example/big": "x".repeat(2000), ...annotations } },
    spec: {
      serviceAccountName: POD_SERVICE_ACCOUNT,
      containers: [{ name: "app", image: "registry.example/app:1" }],
    },
  };
}

export async function createPod(admin: KubeTransport, namespace: string, name: string, annotations = {}) {
  await expectStatus(admin, 201, `/api/v1/namespaces/${namespace}/pods`, {
    method: "POST",
    body: podBody(name, annotations),
  });
}

export async function deletePod(admin: KubeTransport, namespace: string, name: string) {
  await expectStatus(admin, 200, `/api/v1/namespaces/${namespace}/pods/${name}`, { method: "DELETE" });
}

export interface CountingTransport extends KubeTransport {
  lists: number;
  watches: number;
  /** Every path requested or streamed, in order. */
  paths: string[];
  /** Until release(), new watch streams wait before connecting (so a test can change things behind their back). */
  holdWatches(): void;
  release(): void;
}

/**
 * Counts list requests (GETs of paths ending in `collection`) and watch streams, so a test can prove a re-list (410)
 * or a re-watch (cut) happened.
 */
export function counting(inner: KubeTransport, collection = "/pods"): CountingTransport {
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  const wrapper: CountingTransport = {
    server: inner.server,
    lists: 0,
    watches: 0,
    paths: [],
    holdWatches() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    request(requestPath, request) {
      wrapper.paths.push(requestPath);
      if ((request?.method ?? "GET") === "GET" && requestPath.endsWith(collection)) wrapper.lists++;
      return inner.request(requestPath, request);
    },
    async stream(requestPath, query, onLine, signal) {
      await gate;
      wrapper.watches++;
      wrapper.paths.push(requestPath);
      return inner.stream(requestPath, query, onLine, signal);
    },
  };
  return wrapper;
}
