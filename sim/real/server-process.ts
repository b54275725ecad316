/**
 * A real server as a child process of the sandbox: its own process group (stopped by pid, group and all), its output
 * in `<dir>/<name>.log` (appended across restarts, so an outage's before and after stay readable), and a readiness
 * probe polled until it holds or the deadline passes, with the log's tail in the error.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  dir: string;
  /** Resolves true once the server answers; thrown errors count as "not yet". */
  ready(): Promise<boolean>;
  readyDeadlineMs?: number;
}

export interface ServerProcess {
  readonly name: string;
  readonly logPath: string;
  pid(): number | undefined;
  running(): boolean;
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  logTail(bytes?: number): string;
}

/** Cold starts of kube-apiserver on a busy 2-core machine take tens of seconds. */
const DEFAULT_READY_DEADLINE_MS = 120_000;
const STOP_GRACE_MS = 10_000;

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function serverProcess(spec: ServerSpec): ServerProcess {
  const logPath = join(spec.dir, `${spec.name}.log`);
  let child: { pid: number; exited: Promise<number | null> } | undefined;
  const logTail = (bytes = 3000) => {
    try {
      return readFileSync(logPath, "utf8").slice(-bytes);
    } catch {
      return "";
    }
  };
  return {
    name: spec.name,
    logPath,
    pid: () => child?.pid,
    running: () => child !== undefined,
    logTail,
    async start() {
      if (child) return;
      const log = openSync(logPath, "a");
      const spawned = spawn(spec.command, spec.args, {
        cwd: spec.dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? spec.dir, ...spec.env },
        detached: true,
        stdio: ["ignore", log, log],
      });
      closeSync(log);
      const pid = spawned.pid;
      if (pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
      let exitCode: number | null | undefined;
      const exited = new Promise<number | null>((resolve) => {
        spawned.once("exit", (code, signal) => {
          exitCode = code ?? (signal ? -1 : null);
          if (child?.pid === pid) child = undefined;
          resolve(exitCode);
        });
      });
      child = { pid, exited };
      const until = Date.now() + (spec.readyDeadlineMs ?? DEFAULT_READY_DEADLINE_MS);
      for (;;) {
        if (exitCode !== undefined)
          throw new Error(
            `${spec.name} exited with ${exitCode} while starting; log ${logPath}:\n${logTail()}`,
          );
        if (await spec.ready().catch(() => false)) return;
        if (Date.now() > until) {
          signalGroup(pid, "SIGKILL");
          throw new Error(`${spec.name} was not ready within the deadline; log ${logPath}:\n${logTail()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(graceMs = STOP_GRACE_MS) {
      const running = child;
      if (!running) return;
      signalGroup(running.pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(running.pid, "SIGKILL"), graceMs);
      await running.exited;
      clearTimeout(timer);
      // Helpers the server forked (none expected) go with it.
      signalGroup(running.pid, "SIGKILL");
    },
  };
}
