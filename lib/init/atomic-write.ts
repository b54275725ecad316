/**
 * Writes credential files so that a reader sees either nothing or the whole file, never a partial one.
 *
 * Each file is written to a temporary name in the same directory (rename is atomic only within one file system),
 * flushed with fsync, renamed over the final name, and the directory is fsynced so the rename survives a crash.
 *
 * Mode 0600: the file holds a Vault token or secret_id, so only the owner may read it. Pods share the credentials
 * volume between the init and application containers, which normally run as the same user; the original's 0444
 * let every user in every container of the pod read the token. The mode is set with chmod after creation so a
 * restrictive umask cannot leave the owner unable to read it either.
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { CredentialFile } from "./credentials.ts";

export const CREDENTIAL_FILE_MODE = 0o600;

export type WriteFiles = (files: CredentialFile[]) => Promise<void>;

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeOne(file: CredentialFile, mode: number): Promise<void> {
  const directory = dirname(file.path);
  const temporary = join(directory, `.${basename(file.path)}.${randomUUID()}.tmp`);
  const handle = await open(temporary, "wx", mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(file.content, "utf8");
    await handle.sync();
    await handle.close();
    await rename(temporary, file.path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/**
 * Proves at start-up that files can be created in `directory` (creating it if missing), so a read-only or
 * mis-mounted volume is reported before a secret_id is unwrapped and wasted. Throws the file system's error.
 */
export async function probeWritableDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const probe = join(directory, `.write-probe.${randomUUID()}.tmp`);
  const handle = await open(probe, "wx", CREDENTIAL_FILE_MODE);
  await handle.close();
  await unlink(probe);
}

/**
 * Writes the files in order, creating their directories (0700) if missing. All or nothing: when one fails, those
 * this call already put in place are removed again, so a reader never finds ca.crt without the credential it
 * belongs to (a file it replaced is gone too: it belonged to credentials this pod no longer holds).
 */
export async function writeFilesAtomically(
  files: CredentialFile[],
  mode = CREDENTIAL_FILE_MODE,
): Promise<void> {
  const placed: string[] = [];
  try {
    for (const file of files) {
      await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
      await writeOne(file, mode);
      placed.push(file.path);
    }
  } catch (error) {
    for (const path of placed.reverse()) await unlink(path).catch(() => undefined);
    for (const directory of new Set(placed.map((path) => dirname(path))))
      await syncDirectory(directory).catch(() => undefined);
    throw error;
  }
}
