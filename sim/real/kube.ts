/**
 * The real Kubernetes control plane for the sandbox: kube-apiserver (on etcd) and kube-controller-manager, both
 * from k8s.io/kubernetes, on loopback, flagged the way controller-runtime's envtest flags its API server:
 * - RBAC authorization; token-file authentication for the admin and the control-plane users;
 * - a service-account signing key, so TokenRequest works (the controller runs on such a token);
 * - `--advertise-address=127.0.0.1 --endpoint-reconciler-type=none`: a loopback-only machine has no other address,
 *   and Endpoints may not hold loopback addresses, so the `kubernetes` Service gets none.
 *
 * The controller-manager runs the controllers whose results kubernetes-vault reads or relies on: EndpointSlices
 * (and Endpoints) computed from pod readiness, `default` ServiceAccounts, kube-root-ca.crt, namespace deletion and
 * the garbage collector. Not run: the scheduler (the kubelet stand-in binds its own pods), node lifecycle (no node
 * heartbeats to judge), and everything about volumes, jobs or replicas.
 *
 * Clients reach the API server through `proxy` (a TCP relay on its own port), so a test can cut every connection
 * (watches included) the way a network blip or an API-server restart does, without touching the server.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHttpClient } from "../../lib/runtime/index.ts";
import { createCertificateAuthority, issueLeaf } from "../../lib/tls/index.ts";
import { renderKubeconfig } from "../kube/kubeconfig.ts";
import type { Etcd } from "./etcd.ts";
import { freePort, type ServerProcess, serverProcess } from "./server-process.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

export interface RealKube {
  /** https://127.0.0.1:<proxy port>: what every client is given. */
  server: string;
  /** The API server's own port, bypassing the relay. */
  directServer: string;
  caCertPath: string;
  caPem: string;
  /** Admin bearer token (system:masters). */
  token: string;
  adminKubeconfigPath: string;
  serviceAccountIssuer: string;
  apiserver: ServerProcess;
  controllerManager: ServerProcess;
  proxy: TcpProxy;
  stop(): Promise<void>;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600_000;
const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** What the kubernetes-vault controller reads and the kubelet stand-in and tests need. */
const CONTROLLERS = [
  "endpoints-controller",
  "endpointslice-controller",
  "endpointslice-mirroring-controller",
  "serviceaccount-controller",
  "root-ca-certificate-publisher-controller",
  "namespace-controller",
  "garbage-collector-controller",
];

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

export async function startRealKube(
  binaries: { kubeApiserver: string; kubeControllerManager: string },
  etcd: Etcd,
  dir: string,
  host = "127.0.0.1",
  /** The port clients use (the relay's); 0 picks a free one. */
  clientPort = 0,
): Promise<RealKube> {
  const kubeDir = join(dir, "kube");
  await mkdir(kubeDir, { recursive: true });
  const ca = await createCertificateAuthority("kubernetes-vault sandbox kube CA", TEN_YEARS_MS);
  const serving = await issueLeaf(ca, {
    commonName: "kube-apiserver",
    dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
    ipSans: ["127.0.0.1", host, "10.0.0.1"],
    ttlMs: TEN_YEARS_MS,
    usages: ["server"],
  });
  // The service-account signing key is an ECDSA P-256 key, like the serving key (ES256 tokens).
  const signing = await issueLeaf(ca, { commonName: "service-accounts", ttlMs: TEN_YEARS_MS });
  const files = {
    ca: join(kubeDir, "ca.crt"),
    cert: join(kubeDir, "apiserver.crt"),
    key: join(kubeDir, "apiserver.key"),
    saKey: join(kubeDir, "service-account.key"),
    // The verifying side reads public keys only; a certificate of the signing key is one.
    saPublic: join(kubeDir, "service-account.crt"),
    tokens: join(kubeDir, "tokens.csv"),
    admin: join(kubeDir, "admin.kubeconfig"),
    controllerManager: join(kubeDir, "controller-manager.kubeconfig"),
  };
  const adminToken = randomToken();
  const controllerManagerToken = randomToken();
  await writeFile(files.ca, ca.certPem);
  await writeFile(files.cert, serving.certPem);
  await writeFile(files.key, serving.keyPem, { mode: 0o600 });
  await writeFile(files.saKey, signing.keyPem, { mode: 0o600 });
  await writeFile(files.saPublic, signing.certPem);
  // token,user,uid,"group,..." (the --token-auth-file format).
  await writeFile(
    files.tokens,
    `${adminToken},sandbox-admin,sandbox-admin,"system:masters"\n` +
      `${controllerManagerToken},system:kube-controller-manager,kube-controller-manager,"system:masters"\n`,
    { mode: 0o600 },
  );

  const port = await freePort(host);
  const directServer = `https://${host}:${port}`;
  const http = createHttpClient({ trust: { kind: "ca", caPem: ca.certPem }, timeoutMs: 5_000 });
  const apiserverReady = async () => {
    const response = await http.fetch(`${directServer}/readyz`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    await response.arrayBuffer();
    return response.status === 200;
  };
  const apiserver = serverProcess({
    name: "kube-apiserver",
    command: binaries.kubeApiserver,
    args: [
      `--etcd-servers=${etcd.clientUrl}`,
      `--bind-address=${host}`,
      `--secure-port=${port}`,
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--tls-cert-file=${files.cert}`,
      `--tls-private-key-file=${files.key}`,
      `--token-auth-file=${files.tokens}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${files.saPublic}`,
      `--service-account-signing-key-file=${files.saKey}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      `--cert-dir=${kubeDir}`,
      "--v=1",
    ],
    dir: kubeDir,
    ready: apiserverReady,
  });
  await apiserver.start();
  const stops: (() => Promise<void>)[] = [() => apiserver.stop()];
  const stopStarted = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const proxyPort = clientPort || (await freePort(host));
    const proxy = await startTcpProxy({
      listenHost: host,
      listenPort: proxyPort,
      targetHost: host,
      targetPort: port,
    });
    stops.push(() => proxy.stop());
    const server = `https://${host}:${proxyPort}`;
    await writeFile(files.admin, renderKubeconfig({ server, caCertPath: files.ca, token: adminToken }), {
      mode: 0o600,
    });
    await writeFile(
      files.controllerManager,
      renderKubeconfig({ server: directServer, caCertPath: files.ca, token: controllerManagerToken }),
      { mode: 0o600 },
    );

    const serviceAccountReady = async () => {
      const response = await http.fetch(`${directServer}/api/v1/namespaces/default/serviceaccounts/default`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      await response.arrayBuffer();
      return response.status === 200;
    };
    const controllerManager = serverProcess({
      name: "kube-controller-manager",
      command: binaries.kubeControllerManager,
      args: [
        `--kubeconfig=${files.controllerManager}`,
        `--controllers=${CONTROLLERS.join(",")}`,
        `--root-ca-file=${files.ca}`,
        `--service-account-private-key-file=${files.saKey}`,
        "--use-service-account-credentials=false",
        "--leader-elect=false",
        `--bind-address=${host}`,
        "--secure-port=0",
        // EndpointSlices follow pod readiness within a second, as on a real cluster under light load.
        "--endpointslice-updates-batch-period=0s",
        "--v=1",
      ],
      dir: kubeDir,
      // The serviceaccount controller's first act is the `default` ServiceAccount of every namespace.
      ready: serviceAccountReady,
    });
    stops.push(() => controllerManager.stop());
    await controllerManager.start();
    return {
      server,
      directServer,
      caCertPath: files.ca,
      caPem: ca.certPem,
      token: adminToken,
      adminKubeconfigPath: files.admin,
      serviceAccountIssuer: SERVICE_ACCOUNT_ISSUER,
      apiserver,
      controllerManager,
      proxy,
      async stop() {
        await stopStarted();
        http.close();
      },
    };
  } catch (error) {
    await stopStarted();
    http.close();
    throw error;
  }
}
