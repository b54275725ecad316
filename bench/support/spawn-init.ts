/**
 * Starting the compiled init the way a kubelet would, for the init figures: the time from spawn to its "waiting for
 * the controller's push" log line (printed once the TLS listener is bound), its resident memory, and its peak RSS
 * over a whole exchange as `/usr/bin/time -v` reports it (the kernel's ru_maxrss; Bun's own rusage without it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const LISTENING_LINE = "waiting for the controller's push";
const TIME = "/usr/bin/time";

export interface StartedInit {
  process: ReturnType<typeof Bun.spawn>;
  /** Spawn to the listening line, measured here. */
  listeningMs: number;
  /** runInit's own start-up figure from that line (certificate + bind). */
  internalMs: number;
  /** The init's own time from process start to listening (since_process_start_ms), if it logged it. */
  processMs: number | undefined;
  /** Everything written to stderr until now and, after `finish()`, until exit. */
  stderr(): string;
  /** Waits for exit; answers the peak RSS in bytes (undefined if it could not be read). */
  finish(): Promise<number | undefined>;
  /** SIGKILLs the init (and the `time` wrapper around it, if any) by pid. */
  kill(): Promise<void>;
}

function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

export async function spawnInit(
  binary: string,
  env: Record<string, string>,
  options: { measurePeak?: boolean } = {},
): Promise<StartedInit> {
  const wrapped = options.measurePeak === true && existsSync(TIME);
  // time's report goes to a file of its own: it is written after the init exits, when stderr may already be gone.
  const report = join(mkdtempSync(join(tmpdir(), "kv-init-time-")), "time.txt");
  const began = performance.now();
  const child = Bun.spawn(wrapped ? [TIME, "-v", "-o", report, binary] : [binary], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let text = "";
  const reader = (child.stderr as ReadableStream<Uint8Array>).getReader();
  let line: string | undefined;
  while (line === undefined) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the init exited before listening:\n${text.slice(-2000)}`);
    text += decoder.decode(value, { stream: true });
    line = text.split("\n").find((l) => l.includes(LISTENING_LINE));
  }
  const listeningMs = performance.now() - began;
  const drained = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return {
    process: child,
    listeningMs,
    ...(() => {
      const fields = JSON.parse(line) as { startup_ms: number; since_process_start_ms?: number };
      return { internalMs: fields.startup_ms, processMs: fields.since_process_start_ms };
    })(),
    stderr: () => text,
    async finish() {
      await child.exited;
      await drained;
      if (wrapped) {
        const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(report, "utf8"))?.[1];
        rmSync(dirname(report), { recursive: true, force: true });
        return kb === undefined ? undefined : Number(kb) * 1024;
      }
      return child.resourceUsage()?.maxRSS;
    },
    async kill() {
      for (const pid of childrenOf(child.pid)) process.kill(pid, "SIGKILL");
      child.kill("SIGKILL");
      await child.exited;
    },
  };
}

/** Resident memory of a running process, in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}
