// The init image for real: `podman build --target init` of the repo's Containerfile gives a single-layer scratch
// image (no shell, USER 65532:65532, OCI labels) whose files are exactly the build's rootfs; its sizes are
// recorded for the bench; and it runs with runc on the host network as a pod's init container would: read-only
// root, no capabilities, a mounted token directory and trust anchor, a push from the controller's own pusher
// over mutual TLS, and a token file Vault accepts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { findImageSize } from "../../bench/support/image-size.ts";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { listTree } from "./support/build.ts";
import { type ControllerSide, controllerSide, SAMPLE_ROLE } from "./support/controller-side.ts";
import {
  type BuiltImage,
  buildImage,
  IMAGE_SIZES_PATH,
  imageTree,
  inspectImage,
  recordImageSizes,
  removeContainersAndImages,
} from "./support/image.ts";
import { podmanEnv, ROOT, tool } from "./support/tools.ts";

// Image builds, saves and container start-ups on a busy 2-core machine (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(300_000);

const UID = 65532;
const POD_IP = "127.7.0.10";
const CONTAINER = `kubernetes-vault-init-packaging-${process.pid}`;
const TOKEN_DIR_IN_POD = "/var/run/secrets/boostport.com";
const TRUST_DIR_IN_POD = "/etc/kubernetes-vault";

let image: BuiltImage | undefined;
let sandbox: Sandbox | undefined;
let controller: ControllerSide | undefined;
let container: TestProcess | undefined;
let dir = "";

beforeAll(async () => {
  // Fails (never skips) with the install command when podman, runc or containers.conf are missing.
  tool("podman");
  tool("runc");
  podmanEnv();
  image = await buildImage("init");
  dir = join(ROOT, ".state", "packaging", `init-pod-${process.pid}`);
  mkdirSync(dir, { recursive: true });
});

afterAll(async () => {
  await container?.stop();
  await removeContainersAndImages([CONTAINER], image ? [image.id] : []);
  controller?.close();
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the init image", () => {
  test("is FROM scratch: one layer holding exactly the build's rootfs, no shell", async () => {
    if (!image) throw new Error("the image was not built");
    const inspection = await inspectImage(image.id);
    expect(inspection.RootFS.Layers).toHaveLength(1);
    const files = await imageTree(image.id);
    expect(files).toEqual(listTree(image.rootfs));
    expect(files.filter((path) => /(^|\/)(sh|bash|ash|busybox)$/.test(path))).toEqual([]);
    expect(files).toContain("init");
  });

  test("runs as 65532:65532 with an /init entrypoint, port 50000 and the OCI labels", async () => {
    if (!image) throw new Error("the image was not built");
    const inspection = await inspectImage(image.id);
    expect(inspection.Os).toBe("linux");
    expect(inspection.Architecture).toBe("amd64");
    expect(inspection.Config.User).toBe(`${UID}:${UID}`);
    expect(inspection.Config.Entrypoint).toEqual(["/init"]);
    expect(Object.keys(inspection.Config.ExposedPorts)).toEqual(["50000/tcp"]);
    const labels = inspection.Config.Labels ?? {};
    for (const name of ["title", "description", "source", "licenses", "version"])
      expect(labels[`org.opencontainers.image.${name}`] ?? "").toMatch(/\S/);
    expect(labels["org.opencontainers.image.title"]).toBe("kubernetes-vault-init");
  });

  test("its sizes are recorded for the bench", async () => {
    if (!image) throw new Error("the image was not built");
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
    if (!image) throw new Error("the image was not built");
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
    const envArgs = Object.entries(env).flatMap(([name, value]) => ["--env", `${name}=${value ?? ""}`]);
    container = startProcess(
      tool("podman"),
      [
        "--runtime",
        "runc",
        "run",
        "--rm",
        "--name",
        CONTAINER,
        "--network",
        "host",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--volume",
        `${tokenDir}:${TOKEN_DIR_IN_POD}`,
        "--volume",
        `${trustDir}:${TRUST_DIR_IN_POD}:ro`,
        ...envArgs,
        image.id,
      ],
      { env: podmanEnv(), logPath: join(dir, "container.log") },
    );
    await container.waitForOutput("waiting for the controller's push", 120_000);

    const outcome = await controller.pushTo(POD_IP);
    expect(outcome.kind).toBe("delivered");
    expect(await container.exited()).toBe(0);

    const tokenPath = join(tokenDir, "vault-token");
    const file = JSON.parse(readFileSync(tokenPath, "utf8")) as { clientToken: string; accessor: string };
    expect(statSync(tokenPath).uid).toBe(UID);
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect(outcome.kind === "delivered" && outcome.tokenAccessor).toBe(file.accessor);
    const self = await controller.lookupSelf(file.clientToken);
    expect(self.accessor).toBe(file.accessor);
    expect(self.policies).toContain(SAMPLE_ROLE);
    // Nothing secret in what the container printed.
    expect(container.output()).not.toContain(file.clientToken);
  });
});
