/**
 * The BenchContext a run hands to its sections: options, a scratch directory of its own, and sandboxes started on
 * first use (each with its own kubelet pod-address range, so sections never share an address) and all stopped by
 * `close()`, which also removes the scratch directory unless asked to keep it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import type { BenchContext } from "../sections/types.ts";

export const ROOT = resolve(import.meta.dir, "../..");

export function openBenchContext(options: {
  quick: boolean;
  iterations: number | undefined;
  progress?: (line: string) => void;
  /** Leave the scratch directory (logs of controllers, pods and sandboxes) for inspection. */
  keepState?: boolean;
  /** Sandboxes on the real servers (sim/real) instead of the stand-ins. */
  real?: boolean;
}): { context: BenchContext; close(): Promise<void> } {
  const stateDir = mkdtempSync(join(tmpdir(), "kv-bench-"));
  const sandboxes = new Map<string, Promise<Sandbox>>();
  const context: BenchContext = {
    quick: options.quick,
    iterations: options.iterations,
    root: ROOT,
    stateDir,
    progress: options.progress ?? ((line) => process.stderr.write(`${line}\n`)),
    sandbox(name) {
      let started = sandboxes.get(name);
      if (!started) {
        started = startSandbox({
          dir: join(stateDir, "sandbox", name),
          // Two octets (65,534 addresses): the full push section alone starts 1,000 pods.
          podIpPrefix: `127.${100 + sandboxes.size}`,
          initRestartBackoffMs: 1_000,
          backend: options.real ? "real" : "stand-ins",
        });
        sandboxes.set(name, started);
      }
      return started;
    },
  };
  return {
    context,
    async close() {
      for (const started of sandboxes.values()) await (await started.catch(() => undefined))?.stop();
      if (options.keepState) context.progress(`scratch files kept in ${stateDir}`);
      else rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
