// The init image for real: `podman build --target init` of the repo's Containerfile gives a single-layer scratch
// image (no shell, USER 65532:65532, OCI labels) whose files are exactly the build's rootfs; its sizes are
// recorded for the bench; and it runs with runc on the host network as a pod's init container would: read-only
// root, no capabilities, a mounted token directory and trust anchor, a push from the controller's own pusher
// over mutual TLS, and a token file Vault accepts.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { findImageSize } from "../../bench/support/image-size.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { TestProcess } from "../support/processes.ts";
import { type ControllerSide, controllerSide, SAMPLE_ROLE } from "./support/controller-side.ts";
import { IMAGE_SIZES_PATH, recordImageSizes } from "./support/image.ts";
import { IMAGE_UID, imageSuite, runContainer } from "./support/image-suite.ts";
import { ROOT } from "./support/tools.ts";

// Image builds, saves and container start-ups on a busy 2-core machine (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(300_000);

const POD_IP = "127.7.0.10";
const CONTAINER = `kubernetes-vault-init-packaging-${process.pid}`;
const TOKEN_DIR_IN_POD = "/var/run/secrets/boostport.com";
const TRUST_DIR_IN_POD = "/etc/kubernetes-vault";

let sandbox: Sandbox | undefined;
let controller: ControllerSide | undefined;
let container: TestProcess | undefined;

describe("the init image", () => {
  const suite = imageSuite({
    program: "init",
    container: CONTAINER,
    dirName: `init-pod-${process.pid}`,
    entrypointAndPorts: "an /init entrypoint, port 50000",
    exposedPorts: ["50000/tcp"],
    platform: { os: "linux", architecture: "amd64" },
    stopContainer: () => container?.stop(),
    stopOthers: async () => {
      controller?.close();
      await sandbox?.stop();
    },
  });

  test("its sizes are recorded for the bench", async () => {
    const image = suite.image();
    const sizes = await recordImageSizes("init", image);
    // The layer is the binary plus a few MiB of glibc; compression must actually have happened.
    expect(sizes.uncompressedBytes).toBeGreaterThan(statSync(join(image.rootfs, "init")).size);
    expect(sizes.gzipCompressedBytes).toBeLessThan(sizes.archiveBytes * 0.7);
    expect(sizes.zstdCompressedBytes).toBeLessThan(sizes.archiveBytes * 0.7);
    const recorded = JSON.parse(readFileSync(IMAGE_SIZES_PATH, "utf8")) as Record<string, { image: string }>;
    expect(recorded.init?.image).toBe(image.tag);
    // The bench reads the gzip figure, in MiB, from this very file.
    const found = await findImageSize(ROOT);
    expect(found.value === null ? found.reason : found.source).toStartWith(relative(ROOT, IMAGE_SIZES_PATH));
    expect(found.value).toBeCloseTo(sizes.gzipCompressedBytes / 2 ** 20, 1);
  });

  test("as a pod's init container (runc, host network, read-only root): a push yields a token Vault accepts", async () => {
    const image = suite.image();
    const dir = suite.dir();
    sandbox = await startSandbox({ dir: join(dir, "sandbox"), podIpPrefix: "127.7" });
    controller = await controllerSide(sandbox);
    const tokenDir = join(dir, "vault-token");
    const trustDir = join(dir, "trust");
    mkdirSync(tokenDir, { recursive: true });
    mkdirSync(trustDir, { recursive: true });
    // A pod's fsGroup would make the emptyDir writable for 65532; a host directory needs it said outright.
    chmodSync(tokenDir, 0o777);
    writeFileSync(join(trustDir, "controller-ca.crt"), readFileSync(sandbox.description.pki.caCert));
    const env = {
      VAULT_ROLE_ID: sandbox.description.approles[SAMPLE_ROLE]?.roleId,
      VAULT_ROLE_NAME: SAMPLE_ROLE,
      POD_IP,
      // The host network is shared with other tests' simulated pods: bind the pod IP only.
      LISTEN_ADDRESS: `${POD_IP}:50000`,
      VAULT_ADDR: sandbox.description.vault.addr,
      CONTROLLER_CA_CERT: `${TRUST_DIR_IN_POD}/controller-ca.crt`,
      TIMEOUT: "3m",
    };
    container = runContainer(image, {
      name: CONTAINER,
      volumes: [`${tokenDir}:${TOKEN_DIR_IN_POD}`, `${trustDir}:${TRUST_DIR_IN_POD}:ro`],
      env,
      logPath: join(dir, "container.log"),
    });
    await container.waitForOutput("waiting for the controller's push", 120_000);

    const outcome = await controller.pushTo(POD_IP);
    expect(outcome.kind).toBe("delivered");
    expect(await container.exited()).toBe(0);

    const tokenPath = join(tokenDir, "vault-token");
    const file = JSON.parse(readFileSync(tokenPath, "utf8")) as { clientToken: string; accessor: string };
    expect(statSync(tokenPath).uid).toBe(IMAGE_UID);
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect(outcome.kind === "delivered" && outcome.tokenAccessor).toBe(file.accessor);
    const self = await controller.lookupSelf(file.clientToken);
    expect(self.accessor).toBe(file.accessor);
    expect(self.policies).toContain(SAMPLE_ROLE);
    // Nothing secret in what the container printed.
    expect(container.output()).not.toContain(file.clientToken);
  });
});
