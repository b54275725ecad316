/**
 * External tools for the packaging tests: kubectl (kustomize), podman, runc, zstd, gzip. A missing tool fails the
 * test with the command that installs it; nothing is skipped.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../../..");
const INSTALL_HINT = "run `bash scripts/install-tools.sh` (as root) to install it";

/**
 * The absolute path of `name`: `.tools/bin` first, then PATH (the order scripts/test.sh sets up), so a bare
 * `bun test` checks the same kubectl 1.20 kustomize as CI, not whatever kubectl the machine has. Throws naming the
 * install script when absent.
 */
export function tool(name: string): string {
  const dirs = [join(ROOT, ".tools/bin"), ...(process.env.PATH ?? "").split(delimiter)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${name} is not installed (searched PATH and ${join(ROOT, ".tools/bin")}): ${INSTALL_HINT}`,
  );
}

/** podman here only works with runc and without default rlimits (shared/notes/environment.md). */
export function podmanEnv(): Record<string, string | undefined> {
  const conf = process.env.CONTAINERS_CONF ?? join(ROOT, ".tools/containers.conf");
  if (!existsSync(conf)) throw new Error(`${conf} is missing: ${INSTALL_HINT}`);
  return { ...process.env, CONTAINERS_CONF: conf };
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the event loop: the stand-ins the command talks to live in this
 * very process and must keep answering.
 */
export function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; encoding?: "utf8" | "buffer" } = {},
): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === "number" ? error.code : error ? 1 : 0;
        done({ status: code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Like run(), but a non-zero exit throws with the command's output. */
export async function runOk(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}:\n${result.stderr}${result.stdout}`,
    );
  return result.stdout;
}

export async function podman(args: string[]): Promise<string> {
  return runOk(tool("podman"), args, { env: podmanEnv() });
}
