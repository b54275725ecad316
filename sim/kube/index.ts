/**
 * Kubernetes API server stand-in: core/v1 pods (with the status and binding subresources), nodes (with status),
 * serviceaccounts, endpoints (with the 1.33+ deprecation warning), events and namespaces, and discovery.k8s.io/v1
 * EndpointSlices, over HTTPS with its own CA and bearer-token auth, behaving as kube-apiserver documents
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/) and as kube-apiserver 1.37 answers where the two
 * were compared (sim/real runs the real one). @kubernetes/client-node 1.4.0 list, watch and informers work
 * against it unchanged.
 *
 * Like a real control plane it refuses objects in a namespace that does not exist (NamespaceLifecycle) and pods
 * whose ServiceAccount does not exist (ServiceAccount admission), creates every namespace's `default`
 * ServiceAccount (kube-controller-manager's job, done synchronously here), and deletes pods bound to a node
 * gracefully: marked with deletionTimestamp until their node (the kubelet stand-in, sim/fleet) deletes them with
 * grace 0.
 *
 * startKubeApiSim({dir}) writes `<dir>/kube-ca.pem` and an admin `<dir>/kubeconfig`, and returns the server URL,
 * tokens, the Hono app, and chaos hooks: `cutWatches()` ends every open watch, `compactAll()` forgets all history
 * so any older resourceVersion answers 410 Gone, `setOnline(false|true)` takes the server away and back on the
 * same port with its state kept.
 *
 * What it does NOT do (see README.md for the longer list):
 * - No other resources or API groups (no Services, ConfigMaps, Secrets, Leases, CRDs; discovery.k8s.io/v1 is the
 *   only named group), so no EndpointSlice controller: slices are whatever clients write.
 * - No scheduler: pods stay unbound until a node stand-in binds them (the kubelet stand-in binds what it runs).
 * - Loopback endpoint addresses are accepted (a real server refuses them; the sandbox's pods live on loopback).
 * - No finalizers, no garbage collection via ownerReferences, no deletecollection; deleting a namespace deletes
 *   its objects at once (a real one stays Terminating while the namespace controller empties it).
 * - No server-side apply, no dryRun, no fieldManager/managedFields, no protobuf/CBOR, no OpenAPI documents
 *   (kubectl needs --validate=false); JSON only, plus kubectl's Table format.
 * - Authentication is bearer tokens only (no client certificates, no anonymous access outside public-info paths);
 *   authorization is two fixed roles (admin, read-only), not RBAC; no TokenRequest.
 * - Validation is partial: names, required container fields, pod spec immutability, event namespace, slices.
 * - History is a bounded in-memory window per type (etcd's time-based compaction is `compactAll()`); nothing
 *   persists across restarts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatHostPort, type RunningServer, serve } from "../../lib/runtime/index.ts";
import { createCertificateAuthority, issueLeaf } from "../../lib/tls/index.ts";
import { createKubeApp, type KubeApp } from "./app.ts";
import { Cluster, DEFAULT_HISTORY_LIMIT } from "./cluster.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { namespaces } from "./resources/namespaces.ts";
import { DEFAULT_BOOKMARK_INTERVAL_MS, WatchHub } from "./watch.ts";
import { Writes } from "./writes.ts";

export { ADMIN_USER, READ_ONLY_USER } from "./app.ts";
export { Cluster } from "./cluster.ts";

export interface KubeApiSimOptions {
  hostname?: string;
  port?: number;
  dir: string;
  /** Changes kept per resource type for watches and paginated lists before older versions answer 410. */
  historyLimit?: number;
  bookmarkIntervalMs?: number;
}

export interface KubeApiSim {
  server: string;
  caCertPath: string;
  caPem: string;
  /** Admin bearer token (every verb). */
  token: string;
  /** Bearer token allowed only get, list and watch. */
  readOnlyToken: string;
  adminKubeconfigPath: string;
  app: KubeApp;
  cluster: Cluster;
  /** Number of watch streams currently open. */
  openWatches(): number;
  cutWatches(): void;
  compactAll(): void;
  /** Stops or resumes listening on the same port, keeping every object (an API server outage). */
  setOnline(online: boolean): Promise<void>;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 3_600_000;
const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
/** The alphabet k8s.io/apimachinery/pkg/util/rand uses for generateName (no vowels, no confusable digits). */
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return [...bytes].map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join("");
}

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

export async function startKubeApiSim(options: KubeApiSimOptions): Promise<KubeApiSim> {
  const hostname = options.hostname ?? "127.0.0.1";
  await mkdir(options.dir, { recursive: true });
  const ca = await createCertificateAuthority("kube-sim CA", 365 * DAY_MS);
  const leaf = await issueLeaf(ca, {
    commonName: "kube-apiserver",
    dnsNames: [
      "localhost",
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      "kubernetes.default.svc.cluster.local",
    ],
    ipSans: [...new Set([hostname, "127.0.0.1"])].filter((name) => /^[\d.]+$|:/.test(name)),
    ttlMs: 365 * DAY_MS,
    usages: ["server"],
  });
  const cluster = new Cluster(options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
  const writes = new Writes({
    cluster,
    now: () => new Date(),
    newUid: () => crypto.randomUUID(),
    randomSuffix,
  });
  for (const name of INITIAL_NAMESPACES) writes.create(namespaces, undefined, { metadata: { name } });
  const watches = new WatchHub(cluster, options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS);
  const tokens = { admin: randomToken(), readOnly: randomToken() };
  let address = formatHostPort(hostname, options.port ?? 0);
  const app = createKubeApp({ cluster, writes, watches, tokens, serverAddress: () => address });
  const bind = (port: number): Promise<RunningServer> =>
    serve({
      hostname,
      port,
      tls: { certPem: leaf.certPem, keyPem: leaf.keyPem },
      // Watches are silent between events; the API server keeps them open until timeoutSeconds. Bun.serve closes
      // connections silent for 10 s and sends no status line before the first body byte, so a quiet watch would
      // leave clients waiting: the node engine flushes headers at once, as kube-apiserver does.
      engine: "node",
      fetch: (request) => app.fetch(request),
    });
  let running: RunningServer | undefined = await bind(options.port ?? 0);
  const port = running.port;
  const url = running.url;
  address = formatHostPort(hostname, port);
  const caCertPath = path.resolve(options.dir, "kube-ca.pem");
  const adminKubeconfigPath = path.resolve(options.dir, "kubeconfig");
  await writeFile(caCertPath, ca.certPem);
  await writeFile(adminKubeconfigPath, renderKubeconfig({ server: url, caCertPath, token: tokens.admin }), {
    mode: 0o600,
  });
  const handle: KubeApiSim = {
    server: url,
    caCertPath,
    caPem: ca.certPem,
    token: tokens.admin,
    readOnlyToken: tokens.readOnly,
    adminKubeconfigPath,
    app,
    cluster,
    openWatches: () => watches.openCount,
    cutWatches: () => watches.cutAll(),
    compactAll: () => cluster.compactAll(),
    async setOnline(online) {
      if (online && !running) running = await bind(port);
      if (!online && running) {
        const stopping = running;
        running = undefined;
        watches.cutAll();
        await stopping.stop(true);
      }
    },
    stop: () => handle.setOnline(false),
  };
  return handle;
}
