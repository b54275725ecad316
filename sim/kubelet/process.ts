/**
 * One container = one child process in its own process group, stdout and stderr written to files. Stopping sends
 * SIGTERM to the group, then SIGKILL after a grace period (what the kubelet does with
 * terminationGracePeriodSeconds), so `sh -c` wrappers never leave grandchildren behind.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";

export interface ContainerProcess {
  pid: number;
  /** Resolves with the exit code (128 + signal number when killed by a signal). */
  exited: Promise<number>;
  stop(graceMs: number): Promise<number>;
}

export class StartError extends Error {}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

const GROUP_REAP_MS = 2_000;

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  while (groupExists(pgid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

export function startProcess(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  logs: { stdout: string; stderr: string },
): Promise<ContainerProcess> {
  const [command, ...args] = argv;
  if (!command) return Promise.reject(new StartError("empty command line"));
  mkdirSync(path.dirname(logs.stdout), { recursive: true });
  const out = openSync(logs.stdout, "w");
  const err = openSync(logs.stderr, "w");
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, detached: true, stdio: ["ignore", out, err] });
    const exited = new Promise<number>((done) => {
      child.once("exit", (code, signal) => {
        // A container's processes all end with its main process (PID 1 of its namespace on a real node).
        if (child.pid) signalGroup(child.pid, "SIGKILL");
        done(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0));
      });
    });
    child.once("error", (error) => {
      closeSync(out);
      closeSync(err);
      reject(new StartError(`failed to start ${JSON.stringify(command)}: ${error.message}`));
    });
    child.once("spawn", () => {
      closeSync(out);
      closeSync(err);
      const pid = child.pid ?? 0;
      resolve({
        pid,
        exited,
        async stop(graceMs) {
          signalGroup(pid, "SIGTERM");
          const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
          const code = await exited;
          clearTimeout(timer);
          // Children the container left in its group go too, and stop() returns only once they are gone.
          signalGroup(pid, "SIGKILL");
          await groupGone(pid, graceMs + GROUP_REAP_MS);
          return code;
        },
      });
    });
  });
}
