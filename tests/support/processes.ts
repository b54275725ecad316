/**
 * Child processes for tests: output captured to a file (readable while it runs), and every process stopped by its
 * own pid when the test ends, whatever happened.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { waitFor } from "./wait.ts";

export interface TestProcess {
  readonly pid: number;
  readonly logPath: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited(): Promise<number | null>;
  exitCode(): number | null;
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
  waitForOutput(pattern: RegExp | string, deadlineMs?: number): Promise<string>;
}

const live = new Set<ChildProcess>();

export function startProcess(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; logPath: string; cwd?: string },
): TestProcess {
  const log = createWriteStream(options.logPath);
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  live.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let code: number | null = null;
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    // "close", not "exit": only then have stdout and stderr been drained into the log file.
    child.on("close", (exitCode, signal) => {
      code = exitCode ?? (signal ? 128 : null);
      done = true;
      live.delete(child);
      resolve(code);
    });
  });
  const output = () => {
    try {
      return readFileSync(options.logPath, "utf8");
    } catch {
      return "";
    }
  };
  return {
    pid,
    logPath: options.logPath,
    output,
    exited: () => exited,
    exitCode: () => code,
    signal: (signal) => {
      if (!done) process.kill(pid, signal);
    },
    async stop() {
      if (!done) {
        process.kill(pid, "SIGKILL");
        await exited;
      }
      log.end();
    },
    waitForOutput: (pattern, deadlineMs) =>
      waitFor(
        `output matching ${pattern} from ${command} (log: ${options.logPath})`,
        () => {
          const text = output();
          return (typeof pattern === "string" ? text.includes(pattern) : pattern.test(text))
            ? text
            : undefined;
        },
        deadlineMs,
      ),
  };
}

/** Last resort for a test file's afterAll: kills whatever this module started that is still alive, by pid. */
export function killAllStarted(): void {
  for (const child of live) if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  live.clear();
}
