// The compiled init as a pod's init container under the kubelet stand-in (downward-API env, emptyDir volume, the
// pod's own loopback IP): a push to it produces the token file and the pod moves on to its main containers.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kubelet, startKubelet } from "../../sim/kubelet/index.ts";
import { call, startTestSim, type TestSim } from "../kube-sim/helpers.ts";
import { waitFor } from "../support/wait.ts";
import { type Harness, push, ROLE, startHarness } from "./harness.ts";

// Real TLS servers and processes on a busy CI machine: wait generously (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(120_000);

let h: Harness;
let kube: TestSim;
let kubelet: Kubelet | undefined;

beforeAll(async () => {
  h = await startHarness("kubelet");
  kube = await startTestSim();
  kubelet = await startKubelet({
    server: kube.sim.server,
    caPem: kube.sim.caPem,
    token: kube.sim.token,
    podIpPrefix: "127.1.30",
    logDir: mkdtempSync(join(tmpdir(), "init-kubelet-")),
  });
});
afterAll(async () => {
  await kubelet?.stop();
  await kube?.close();
  await h?.stop();
});

const CREDENTIALS_MOUNT = "/var/run/secrets/boostport.com";

function podManifest(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      annotations: {
        "pod.boostport.com/vault-approle": ROLE,
        "pod.boostport.com/vault-init-container": "vault-init",
      },
    },
    spec: {
      restartPolicy: "Always",
      initContainers: [
        {
          name: "vault-init",
          image: "localhost/kubernetes-vault-init:test",
          command: [h.binary],
          env: [
            { name: "VAULT_ROLE_ID", value: h.roleId },
            {
              name: "VAULT_ROLE_NAME",
              valueFrom: {
                fieldRef: { fieldPath: "metadata.annotations['pod.boostport.com/vault-approle']" },
              },
            },
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            // Pods share the host's network here, so each binds its own IP rather than every interface.
            { name: "LISTEN_ADDRESS", value: "$(POD_IP):50000" },
            { name: "VAULT_ADDR", value: h.vaultAddr },
            { name: "CONTROLLER_CA_CERT", value: h.controllerCaPath },
            { name: "TOKEN_PATH", value: `${CREDENTIALS_MOUNT}/vault-token` },
            { name: "TIMEOUT", value: "2m" },
          ],
          volumeMounts: [{ name: "vault-token", mountPath: CREDENTIALS_MOUNT }],
        },
      ],
      containers: [{ name: "app", image: "busybox", command: ["sleep", "3600"] }],
      volumes: [{ name: "vault-token", emptyDir: { medium: "Memory" } }],
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: pod JSON as served by the API stand-in
type Pod = any;

function initState(pod: Pod): Record<string, Pod> | undefined {
  const statuses: Pod[] = pod?.status?.initContainerStatuses ?? [];
  return statuses.find((s) => s.name === "vault-init")?.state;
}

async function podWhen(name: string, what: string, predicate: (pod: Pod) => boolean): Promise<Pod> {
  return waitFor(`pod ${name}: ${what}`, async () => {
    const { json } = await call(kube.sim, "GET", `/api/v1/namespaces/default/pods/${name}`);
    return predicate(json) ? json : undefined;
  });
}

test("a push to the init container of a kubelet-run pod writes the token file and lets the pod start", async () => {
  const name = "sample-app-1";
  const created = await call(kube.sim, "POST", "/api/v1/namespaces/default/pods", {
    body: podManifest(name),
  });
  expect(created.status).toBe(201);
  const running = await podWhen(name, "init container running with a pod IP", (pod) =>
    Boolean(initState(pod)?.running && pod.status?.podIP),
  );
  const podIp: string = running.status.podIP;
  expect(podIp.startsWith("127.1.30.")).toBe(true);
  const logs = kubelet?.logPathsFor("default", name, "vault-init");
  await waitFor("the init container to listen", () =>
    logs ? readFileSync(logs.stderr, "utf8").includes("waiting for the controller's push") : false,
  );
  const wrap = await h.mint(ROLE, { cidrList: [`${podIp}/32`] });
  const response = await push(podIp, h.pushRequest(wrap), h.controller);
  expect(response.status).toBe(200);
  const done = await podWhen(name, "init container terminated", (pod) => Boolean(initState(pod)?.terminated));
  expect(initState(done)?.terminated.exitCode).toBe(0);
  await podWhen(name, "main container running", (pod) =>
    (pod.status?.containerStatuses ?? []).some((s: Pod) => s.name === "app" && s.state?.running),
  );
  const volume = kubelet?.volumeDirFor("default", name, "vault-token");
  expect(volume).toBeDefined();
  const token = JSON.parse(readFileSync(join(String(volume), "vault-token"), "utf8"));
  expect(token.accessor).toBe(((await response.json()) as { tokenAccessor: string }).tokenAccessor);
  expect(token.vaultAddr).toBe(h.vaultAddr);
  expect(readFileSync(String(logs?.stderr), "utf8")).not.toContain(wrap.token);
});
