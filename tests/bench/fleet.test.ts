// The fleet node (sim/fleet): pods bound to it get lib/init endpoints on their own loopback addresses inside one
// process, and a real push (controller client certificate from Vault PKI, wrapped secret_id bound to the pod IP)
// writes the pod's token file and completes its init container, exactly as the executable would.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControllerSide, openControllerSide } from "../../bench/support/controller-side.ts";
import { INIT_CONTAINER, podManifest, TOKEN_VOLUME } from "../../bench/support/pods.ts";
import { initCertificateCheck, pushUrl } from "../../lib/push/index.ts";
import { createHttpClient } from "../../lib/runtime/index.ts";
import { openVaultClient } from "../../lib/vault/index.ts";
import { type Fleet, startFleet } from "../../sim/fleet/index.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import { waitFor } from "../support/wait.ts";

setDefaultTimeout(120_000);

const PODS = 20;
const PREFIX = "127.2.61";
const NAMESPACE = "team-a";
let sandbox: Sandbox;
let fleet: Fleet;
let controller: ControllerSide;
let kube: ApiCaller;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  sandbox = await startSandbox({ dir: join(dir, "sandbox"), podIpPrefix: "127.1.61" });
  fleet = await startFleet({
    server: sandbox.kube.server,
    caPem: sandbox.kube.caPem,
    token: sandbox.kube.token,
    podsDir: join(dir, "fleet-pods"),
    podIpPrefix: PREFIX,
    restartBackoffBaseMs: 100,
  });
  controller = await openControllerSide(sandbox.description);
  kube = new ApiCaller(sandbox.kube.server, sandbox.kube.caPem, {
    authorization: `Bearer ${sandbox.kube.token}`,
  });
});
afterAll(async () => {
  controller?.close();
  await fleet?.stop();
  await sandbox?.stop();
});

type Json = Record<string, unknown>;
interface ContainerState {
  running?: Json;
  terminated?: { exitCode: number; reason: string };
  waiting?: { reason: string };
}
interface PodJson {
  status?: {
    podIP?: string;
    phase?: string;
    initContainerStatuses?: {
      name: string;
      restartCount: number;
      state?: ContainerState;
      lastState?: ContainerState;
    }[];
  };
}

const podName = (i: number) => `fleet-app-${i}`;
const getPod = async (name: string) =>
  (await kube.call("GET", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`)) as PodJson;
const initState = (pod: PodJson) =>
  pod.status?.initContainerStatuses?.find((s) => s.name === INIT_CONTAINER)?.state;

test("20 pods bound to the fleet node each get an init endpoint on their own address; a push writes the token", async () => {
  for (let i = 0; i < PODS; i++) {
    const manifest = podManifest(podName(i), {
      sandbox: sandbox.description,
      namespace: NAMESPACE,
      role: "demo-app",
      initCommand: ["/unused/in/the/fleet"],
      nodeName: fleet.nodeName,
    });
    await kube.call("POST", `/api/v1/namespaces/${NAMESPACE}/pods`, manifest);
  }
  const ips = await waitFor("every fleet pod's init container running with a pod IP", async () => {
    const pods = await Promise.all(Array.from({ length: PODS }, (_, i) => getPod(podName(i))));
    if (!pods.every((pod) => pod.status?.podIP && initState(pod)?.running)) return undefined;
    return pods.map((pod) => String(pod.status?.podIP));
  });
  expect(new Set(ips).size).toBe(PODS);
  for (const ip of ips) expect(ip.startsWith(`${PREFIX}.`)).toBe(true);
  expect(fleet.listeningCount()).toBe(PODS);
  // The kubelet stand-in leaves pods bound to another node alone.
  expect(sandbox.kubelet.podIpFor(NAMESPACE, podName(0))).toBeUndefined();

  // Every endpoint is a real TLS server with a certificate naming its pod IP; a GET is refused without using it up.
  for (const ip of ips) {
    const client = createHttpClient({
      trust: { kind: "peer-check", check: initCertificateCheck(ip) },
      clientCertPem: controller.identity.certPem,
      clientKeyPem: controller.identity.keyPem,
      keepAlive: false,
    });
    try {
      expect((await client.fetch(pushUrl(ip), { method: "GET" })).status).toBe(405);
    } finally {
      client.close();
    }
  }

  const target = 7;
  const ip = String(ips[target]);
  const wrap = await controller.mint("demo-app", ip);
  const answer = await controller.push(ip, wrap);
  expect(answer.status).toBe(200);
  const confirmation = JSON.parse(answer.body) as { tokenAccessor: string; secretIdAccessor: string };
  const done = await waitFor("the pushed pod's init container to terminate", async () => {
    const pod = await getPod(podName(target));
    return initState(pod)?.terminated ? pod : undefined;
  });
  expect(initState(done)?.terminated?.exitCode).toBe(0);
  await waitFor(
    "the pushed pod to run",
    async () => (await getPod(podName(target))).status?.phase === "Running",
  );

  const volume = String(fleet.volumeDirFor(NAMESPACE, podName(target), TOKEN_VOLUME));
  const tokenFile = JSON.parse(readFileSync(join(volume, "vault-token"), "utf8")) as Json;
  expect(tokenFile.accessor).toBe(confirmation.tokenAccessor);
  expect(tokenFile.vaultAddr).toBe(sandbox.description.vault.addr);
  // The token is a real one Vault accepts.
  const asPod = openVaultClient({
    addr: sandbox.description.vault.addr,
    token: String(tokenFile.clientToken),
    caPem: controller.vaultCaPem,
  });
  try {
    expect((await asPod.lookupSelf()).accessor).toBe(confirmation.tokenAccessor);
  } finally {
    asPod.close();
  }
  const log = readFileSync(String(fleet.logPathFor(NAMESPACE, podName(target), INIT_CONTAINER)), "utf8");
  expect(log).not.toContain(wrap.wrappingToken);
  // The others still wait for their push.
  expect(initState(await getPod(podName(target + 1)))?.running).toBeDefined();
  expect(fleet.listeningCount()).toBe(PODS - 1);
});

test("an init that cannot start (invalid TIMEOUT) exits 2 like the executable and is restarted with back-off", async () => {
  const manifest = podManifest("fleet-broken", {
    sandbox: sandbox.description,
    namespace: NAMESPACE,
    role: "demo-app",
    initCommand: ["/unused/in/the/fleet"],
    nodeName: fleet.nodeName,
    timeout: "soon",
  });
  await kube.call("POST", `/api/v1/namespaces/${NAMESPACE}/pods`, manifest);
  const status = await waitFor("the broken init to be restarted after failing", async () => {
    const init = (await getPod("fleet-broken")).status?.initContainerStatuses?.find(
      (s) => s.name === INIT_CONTAINER,
    );
    return init && init.restartCount >= 1 && init.lastState?.terminated ? init : undefined;
  });
  expect(status.lastState?.terminated?.exitCode).toBe(2);
  expect(status.lastState?.terminated?.reason).toBe("Error");
  const log = readFileSync(String(fleet.logPathFor(NAMESPACE, "fleet-broken", INIT_CONTAINER)), "utf8");
  expect(log).toContain("TIMEOUT");
});

// Like a kubelet (https://kubernetes.io/docs/concepts/architecture/nodes/#self-registration-of-nodes,
// https://kubernetes.io/docs/concepts/workloads/pods/pod-termination/): the fleet registers its Node and finishes the
// graceful deletion of its pods once their endpoints are closed.
test("the fleet registered its Node, and a deleted fleet pod is removed once its endpoint is closed", async () => {
  const node = (await kube.call("GET", `/api/v1/nodes/${fleet.nodeName}`)) as {
    status?: { conditions?: { type: string; status: string }[] };
  };
  expect(node.status?.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
  const name = podName(PODS - 1);
  const before = fleet.podCount();
  const deleted = (await kube.call("DELETE", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`)) as {
    metadata?: { deletionGracePeriodSeconds?: number };
  };
  // Bound to the fleet's node, the pod is marked rather than removed: the node has the last word.
  expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(30);
  await waitFor("the fleet to close the pod's endpoint", () => fleet.podIpFor(NAMESPACE, name) === undefined);
  expect(fleet.podCount()).toBe(before - 1);
  await waitFor("the fleet's final DELETE", () =>
    kube.call("GET", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`).then(
      () => false,
      (error: Error) => /-> 404/.test(error.message),
    ),
  );
});
