/**
 * The checks both program images share, registered for one program: the image is built once for the file
 * (beforeAll) and removed with its container (afterAll); it is FROM scratch with exactly the build's rootfs and no
 * shell; it runs as 65532:65532 with the program's entrypoint, ports and OCI labels. `runContainer` starts it as
 * a pod would run it: runc, host network, read-only root, no capabilities.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startProcess, type TestProcess } from "../../support/processes.ts";
import { listTree, type Program } from "./build.ts";
import { type BuiltImage, buildImage, imageTree, inspectImage, removeContainersAndImages } from "./image.ts";
import { podmanEnv, ROOT, tool } from "./tools.ts";

export const IMAGE_UID = 65532;

export interface ImageSuiteOptions {
  program: Program;
  /** The container's name, removed by name in afterAll. */
  container: string;
  /** The scratch directory under .state/packaging, removed in afterAll. */
  dirName: string;
  /** How the "runs as" test names the entrypoint and ports, e.g. "an /init entrypoint, port 50000". */
  entrypointAndPorts: string;
  exposedPorts: string[];
  platform?: { os: string; architecture: string };
  /** Stops the running container; called before it is removed. */
  stopContainer(): Promise<unknown> | undefined;
  /** Stops whatever else the file started (sandbox, controller side); called after the container is removed. */
  stopOthers(): Promise<unknown>;
}

export interface ImageSuite {
  /** The built image; throws when beforeAll did not build it. */
  image(): BuiltImage;
  /** The file's scratch directory (set by beforeAll). */
  dir(): string;
}

/** Registers the build, the cleanup and the shared image checks; call inside the file's describe. */
export function imageSuite(options: ImageSuiteOptions): ImageSuite {
  let image: BuiltImage | undefined;
  let dir = "";
  const suite: ImageSuite = {
    image: () => {
      if (!image) throw new Error("the image was not built");
      return image;
    },
    dir: () => dir,
  };

  beforeAll(async () => {
    // Fails (never skips) with the install command when podman, runc or containers.conf are missing.
    tool("podman");
    tool("runc");
    podmanEnv();
    image = await buildImage(options.program);
    dir = join(ROOT, ".state", "packaging", options.dirName);
    mkdirSync(dir, { recursive: true });
  });

  afterAll(async () => {
    await options.stopContainer();
    await removeContainersAndImages([options.container], image ? [image.id] : []);
    await options.stopOthers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("is FROM scratch: one layer holding exactly the build's rootfs, no shell", async () => {
    const { id, rootfs } = suite.image();
    expect((await inspectImage(id)).RootFS.Layers).toHaveLength(1);
    const files = await imageTree(id);
    expect(files).toEqual(listTree(rootfs));
    expect(files.filter((path) => /(^|\/)(sh|bash|ash|busybox)$/.test(path))).toEqual([]);
    expect(files).toContain(options.program);
  });

  test(`runs as ${IMAGE_UID}:${IMAGE_UID} with ${options.entrypointAndPorts} and the OCI labels`, async () => {
    const inspection = await inspectImage(suite.image().id);
    if (options.platform) {
      expect(inspection.Os).toBe(options.platform.os);
      expect(inspection.Architecture).toBe(options.platform.architecture);
    }
    expect(inspection.Config.User).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
    expect(inspection.Config.Entrypoint).toEqual([`/${options.program}`]);
    expect(Object.keys(inspection.Config.ExposedPorts).sort()).toEqual([...options.exposedPorts].sort());
    const labels = inspection.Config.Labels ?? {};
    for (const name of ["title", "description", "source", "licenses", "version"])
      expect(labels[`org.opencontainers.image.${name}`] ?? "").toMatch(/\S/);
    expect(labels["org.opencontainers.image.title"]).toBe(`kubernetes-vault-${options.program}`);
  });

  return suite;
}

export interface ContainerRun {
  name: string;
  /** `host:container[:ro]` mounts. */
  volumes: string[];
  env: Record<string, string | undefined>;
  logPath: string;
}

/** `podman run` of the image as a pod runs it: runc, host network, read-only root, no capabilities. */
export function runContainer(image: BuiltImage, run: ContainerRun): TestProcess {
  const envArgs = Object.entries(run.env).flatMap(([name, value]) => ["--env", `${name}=${value ?? ""}`]);
  return startProcess(
    tool("podman"),
    [
      "--runtime",
      "runc",
      "run",
      "--rm",
      "--name",
      run.name,
      "--network",
      "host",
      "--read-only",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      ...run.volumes.flatMap((volume) => ["--volume", volume]),
      ...envArgs,
      image.id,
    ],
    { env: podmanEnv(), logPath: run.logPath },
  );
}
