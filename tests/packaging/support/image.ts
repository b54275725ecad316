/**
 * Container images for the packaging tests: built from the repo's Containerfile with podman (runc), inspected,
 * measured, and removed again by id. Sizes go to `.state/packaging/image-sizes.json` for the bench.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { buildContext, listTree, type Program } from "./build.ts";
import { podman, ROOT, runOk, tool } from "./tools.ts";

export const IMAGE_SIZES_PATH = join(ROOT, ".state", "packaging", "image-sizes.json");

const InspectSchema = v.looseObject({
  Id: v.string(),
  Architecture: v.string(),
  Os: v.string(),
  Size: v.number(),
  Parent: v.optional(v.string(), ""),
  Config: v.looseObject({
    User: v.optional(v.string(), ""),
    Entrypoint: v.optional(v.nullable(v.array(v.string())), null),
    Cmd: v.optional(v.nullable(v.array(v.string())), null),
    ExposedPorts: v.optional(v.record(v.string(), v.unknown()), {}),
    Labels: v.optional(v.nullable(v.record(v.string(), v.string())), null),
  }),
  RootFS: v.looseObject({ Layers: v.array(v.string()) }),
});
export type ImageInspection = v.InferOutput<typeof InspectSchema>;

export interface BuiltImage {
  id: string;
  tag: string;
  /** The rootfs directory the image was built from. */
  rootfs: string;
}

/** `podman build --target <program>` of the repo's Containerfile, tagged uniquely for this test process. */
export async function buildImage(program: Program): Promise<BuiltImage> {
  tool("podman");
  const context = await buildContext(program);
  const tag = `localhost/kubernetes-vault-${program}:packaging-test-${process.pid}`;
  // --layers=false: no intermediate images are left behind to clean up.
  await podman([
    "build",
    "--layers=false",
    "--target",
    program,
    "--tag",
    tag,
    "--file",
    join(context.dir, "Containerfile"),
    context.dir,
  ]);
  const id = (await podman(["image", "inspect", "--format", "{{.Id}}", tag])).trim();
  return { id, tag, rootfs: context.rootfs(program) };
}

export async function inspectImage(id: string): Promise<ImageInspection> {
  const parsed: unknown = JSON.parse(await podman(["image", "inspect", id]));
  return v.parse(InspectSchema, Array.isArray(parsed) ? parsed[0] : parsed);
}

/** Every path the image's filesystem holds, read from the image itself (podman image mount). */
export async function imageTree(id: string): Promise<string[]> {
  const mounted = (await podman(["image", "mount", id])).trim();
  try {
    return listTree(mounted);
  } finally {
    await podman(["image", "unmount", id]);
  }
}

export interface ImageSizes {
  image: string;
  /** The image through gzip -6: what a registry stores and a node pulls today (the bench's figure). */
  gzipCompressedBytes: number;
  /** Through zstd -3: what zstd / zstd:chunked layers would weigh. */
  zstdCompressedBytes: number;
  /** What `podman image inspect` reports: the unpacked layer. */
  uncompressedBytes: number;
  /** `podman save` (docker-archive), the input to both compressors. */
  archiveBytes: number;
  measuredAt: string;
}

/** Measures an image and merges the figures into IMAGE_SIZES_PATH under `program`. */
export async function recordImageSizes(program: Program, image: BuiltImage): Promise<ImageSizes> {
  const inspection = await inspectImage(image.id);
  const dir = join(ROOT, ".state", "packaging", `save-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const archive = join(dir, `${program}.tar`);
    await podman(["save", "--format", "docker-archive", "--output", archive, image.tag]);
    await runOk(tool("gzip"), ["-6", "--keep", archive]);
    await runOk(tool("zstd"), ["-3", "-q", "--keep", archive, "-o", `${archive}.zst`]);
    const sizes: ImageSizes = {
      image: image.tag,
      gzipCompressedBytes: statSync(`${archive}.gz`).size,
      zstdCompressedBytes: statSync(`${archive}.zst`).size,
      uncompressedBytes: inspection.Size,
      archiveBytes: statSync(archive).size,
      measuredAt: new Date().toISOString(),
    };
    let all: Record<string, unknown> = {};
    try {
      all = JSON.parse(readFileSync(IMAGE_SIZES_PATH, "utf8")) as Record<string, unknown>;
    } catch {
      // First measurement on this machine.
    }
    all[program] = sizes;
    writeFileSync(IMAGE_SIZES_PATH, `${JSON.stringify(all, null, 2)}\n`);
    return sizes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes containers and images this test created, by name and id; absent ones are fine. */
export async function removeContainersAndImages(containers: string[], images: string[]): Promise<void> {
  for (const name of containers) await podman(["rm", "--force", "--ignore", name]).catch(() => {});
  for (const id of images) await podman(["rmi", "--force", id]).catch(() => {});
}
