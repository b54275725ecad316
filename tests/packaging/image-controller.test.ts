// The controller image for real: `podman build --target controller` gives a single-layer scratch image (no
// shell, USER 65532:65532, OCI labels, the raft/gossip/metrics/health ports); its sizes are recorded for the
// bench; and it runs with runc on the host network against the sandbox as it would in a pod (read-only root, no
// capabilities, in-cluster service-account files mounted where Kubernetes mounts them) and serves a pod: the
// kubelet stand-in runs an annotated pod, the containerised controller pushes to its init container, and the
// pod's token file holds a token Vault accepts.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import { controllerEnv } from "../../sim/sandbox/workloads.ts";
import type { TestProcess } from "../support/processes.ts";
import { type ControllerSide, controllerSide, SAMPLE_ROLE } from "./support/controller-side.ts";
import { recordImageSizes } from "./support/image.ts";
import { imageSuite, runContainer } from "./support/image-suite.ts";
import { servePod, waitUntilReady } from "./support/served-pod.ts";

// Image builds, saves, a container start and a pod's life on a busy 2-core machine (bun ignores bunfig's timeout).
setDefaultTimeout(300_000);

/** Away from the sandbox's pods (127.7.1.x) and from other tests' controllers (127.0.2.x). */
const CONTROLLER_IP = "127.7.200.1";
const CONTAINER = `kubernetes-vault-controller-packaging-${process.pid}`;
const SERVICE_ACCOUNT_IN_POD = "/var/run/secrets/kubernetes.io/serviceaccount";
const VAULT_CA_IN_POD = "/etc/kubernetes-vault/vault-ca.crt";
const RAFT_DIR_IN_POD = "/var/lib/kubernetes-vault";
const NAMESPACE = "team-a";

let sandbox: Sandbox | undefined;
let controller: TestProcess | undefined;
let vaultSide: ControllerSide | undefined;

describe("the controller image", () => {
  const suite = imageSuite({
    program: "controller",
    container: CONTAINER,
    dirName: `controller-pod-${process.pid}`,
    entrypointAndPorts: "a /controller entrypoint, its ports",
    exposedPorts: ["8080/tcp", "8081/tcp", "45678/tcp", "45678/udp", "45679/tcp"],
    stopContainer: () => controller?.stop(),
    stopOthers: async () => {
      vaultSide?.close();
      await sandbox?.stop();
    },
  });

  test("its sizes are recorded for the bench", async () => {
    const sizes = await recordImageSizes("controller", suite.image());
    expect(sizes.gzipCompressedBytes).toBeLessThan(sizes.archiveBytes * 0.7);
    expect(sizes.uncompressedBytes).toBeGreaterThan(sizes.gzipCompressedBytes);
  });

  test("on the host network (runc, read-only root) it serves a pod: the pod's init gets a token Vault accepts", async () => {
    const image = suite.image();
    const dir = suite.dir();
    sandbox = await startSandbox({
      dir: join(dir, "sandbox"),
      podIpPrefix: "127.7.1",
      initRestartBackoffMs: 500,
    });
    vaultSide = await controllerSide(sandbox);
    const description = sandbox.description;
    // Kubernetes projects the service-account files world-readable (defaultMode 0644); the sandbox keeps its
    // token 0600 for root, which the image's user 65532 could not read.
    const serviceAccountDir = join(dir, "serviceaccount");
    mkdirSync(serviceAccountDir, { recursive: true });
    for (const file of ["token", "ca.crt", "namespace"]) {
      copyFileSync(join(description.kubernetes.serviceAccountDir, file), join(serviceAccountDir, file));
      chmodSync(join(serviceAccountDir, file), 0o644);
    }
    const raftDir = join(dir, "raft");
    mkdirSync(raftDir, { recursive: true });
    chmodSync(raftDir, 0o777);
    // What the controller's pod would get: downward-API values, the Secret's values, the ConfigMap, and the
    // kubelet's KUBERNETES_SERVICE_HOST/PORT; files where Kubernetes mounts them.
    const env: Record<string, string> = {
      ...controllerEnv(description, 0, {
        POD_IP: CONTROLLER_IP,
        POD_NAME: "kubernetes-vault-7d9f8b6c5-x2x4q",
        METRICS_LISTEN: `${CONTROLLER_IP}:8080`,
        HEALTH_LISTEN: `${CONTROLLER_IP}:8081`,
        VAULT_CACERT: VAULT_CA_IN_POD,
        RAFT_DIR: RAFT_DIR_IN_POD,
      }),
    };
    delete env.PATH;
    delete env.SERVICE_ACCOUNT_DIR;
    controller = runContainer(image, {
      name: CONTAINER,
      volumes: [
        `${serviceAccountDir}:${SERVICE_ACCOUNT_IN_POD}:ro`,
        `${description.vault.caCert}:${VAULT_CA_IN_POD}:ro`,
        `${raftDir}:${RAFT_DIR_IN_POD}`,
      ],
      env,
      logPath: join(dir, "controller.log"),
    });
    await waitUntilReady(controller, `http://${CONTROLLER_IP}:8081/readyz`);
    const served = await servePod(sandbox, NAMESPACE, "packaging-app", controller.logPath);
    expect(served.initExitCode).toBe(0);
    expect(served.podIp).toStartWith("127.7.1.");
    const file = served.token;
    const self = await vaultSide.lookupSelf(file.clientToken);
    expect(self.accessor).toBe(file.accessor);
    expect(self.policies).toContain(SAMPLE_ROLE);
    expect(controller.output()).not.toContain(file.clientToken);
    expect(controller.output()).not.toContain(description.controller.vaultToken);
  });
});
