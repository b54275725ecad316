/**
 * Durable file primitives for RAFT_DIR: whole-file atomic replacement (tmp + fsync + rename + fsync of
 * the directory) and reading a file that may not exist.
 */
import { writeSync } from "node:fs";
import { type FileHandle, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

export const TMP_SUFFIX = ".tmp";

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** After this resolves, `name` holds exactly `bytes`, even across a crash at any point. */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const target = join(dir, name);
  const tmp = target + TMP_SUFFIX;
  const handle = await open(tmp, "w");
  try {
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, target);
  await syncDirectory(dir);
}

export async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
}

/** A crash during writeFileAtomic leaves a tmp file that was never renamed: it holds nothing we need. */
export async function removeLeftoverTmp(dir: string, name: string): Promise<void> {
  await rm(join(dir, name + TMP_SUFFIX), { force: true });
}

/**
 * Appends synchronously: a write into the page cache takes microseconds, while Bun's promise-based write cost
 * about 0.1 ms of CPU per call in a profile of a 300-pod burst (10% of a follower). The fsync stays asynchronous.
 */
export function appendAll(handle: FileHandle, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(handle.fd, bytes, written, bytes.length - written);
}
