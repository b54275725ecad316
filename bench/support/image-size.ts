/**
 * The init image's compressed size, as the packaging build records it: a JSON file under .state/ whose name
 * mentions "image" (e.g. .state/image-sizes.json), holding the compressed size of
 * the init image (top level, or under an "init" key): gzipBytes first (what registries store), else zstd, else a
 * "*compressed*" field. Keys mentioning "bytes" are bytes, otherwise MiB.
 * No such file -> null with the reason, since no registry is reachable here to measure a pushed image.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { mib } from "./stats.ts";

export type ImageSize = { value: number; source: string } | { value: null; reason: string };

async function candidates(dir: string, depth: number): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth > 0 && entry.name !== "test-bin")
      found.push(...(await candidates(path, depth - 1)));
    else if (entry.isFile() && /image/i.test(entry.name) && entry.name.endsWith(".json")) found.push(path);
  }
  return found;
}

/** Registries store gzip layers by default, so gzip counts first; then zstd; then any other "compressed" size. */
const PREFERENCE = [/gzip/i, /zstd/i, /^(?!un).*compressed/i];

function compressedOf(value: unknown): { mb: number; key: string } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const numeric = Object.entries(value as Record<string, unknown>).filter(
    (entry): entry is [string, number] => typeof entry[1] === "number" && entry[1] > 0,
  );
  for (const pattern of PREFERENCE) {
    const found = numeric.find(([key]) => pattern.test(key));
    if (found) return { mb: /bytes/i.test(found[0]) ? mib(found[1]) : found[1], key: found[0] };
  }
  return undefined;
}

export async function findImageSize(root: string): Promise<ImageSize> {
  const stateDir = join(root, ".state");
  for (const path of await candidates(stateDir, 3)) {
    try {
      const json: unknown = JSON.parse(await readFile(path, "utf8"));
      const init =
        typeof json === "object" && json !== null ? (json as Record<string, unknown>).init : undefined;
      const found = compressedOf(init) ?? compressedOf(json);
      if (found !== undefined) return { value: found.mb, source: `${relative(root, path)} (${found.key})` };
    } catch {
      // Not JSON, or not ours: keep looking.
    }
  }
  return {
    value: null,
    reason:
      "no image size recorded yet: the packaging build writes none under .state/ (expected a *image*.json with a *compressed* field for the init image)",
  };
}
