/**
 * Helpers shared by the end-to-end test files: failure tracking (a failed test keeps its logs), the leak check
 * over every captured log, Kubernetes Event and extra file, running a program without blocking the sandbox
 * that lives in the test process, and finding Debian's Prometheus tools.
 */
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Harness, Json } from "./support.ts";

const ROOT = resolve(import.meta.dir, "../..");

export function uidOf(pod: Json): string {
  return String((pod.metadata as Json).uid);
}

/** `check(name, body)` is `test` that remembers a failure, so `cleanUp` keeps the harness's logs for reading. */
export function failureTracking(): {
  check(name: string, body: () => Promise<void>): void;
  cleanUp(harness: Harness | undefined): void;
} {
  let failed = false;
  return {
    check(name, body) {
      test(name, async () => {
        try {
          await body();
        } catch (error) {
          failed = true;
          throw error;
        }
      });
    },
    cleanUp(harness) {
      if (!harness) return;
      if (failed || process.env.KEEP_E2E_LOGS === "1") console.error(`e2e logs kept in ${harness.dir}`);
      else rmSync(harness.dir, { recursive: true, force: true });
    },
  };
}

/** The log files among `files` that contain any of `secrets`, with which secret (its first characters only). */
export function leaks(files: string[], secrets: Iterable<string>): string[] {
  const values = [...secrets].filter((value) => value.length >= 8);
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const value of values)
      if (text.includes(value)) found.push(`${file} contains a secret starting ${value.slice(0, 6)}…`);
  }
  return found;
}

/**
 * Asserts that no value Vault minted during the harness's life appears in any captured log, in the Events of
 * `namespaces` or in `extraFiles`, and that the check itself can fail (a canary holding one value is caught).
 */
export async function expectNoLeaks(
  harness: Harness,
  namespaces: string[],
  minimum: { logFiles: number; secrets: number; events: number },
  extraFiles: string[] = [],
): Promise<void> {
  const files = harness.logFiles();
  expect(files.length).toBeGreaterThanOrEqual(minimum.logFiles);
  const secrets = harness.issued;
  expect(secrets.size).toBeGreaterThanOrEqual(minimum.secrets);
  // The Vault stand-in's hook saw every token the pods received, so it sees what the check must look for.
  const read = harness.tokensRead();
  expect(read.length).toBeGreaterThan(0);
  expect(read.filter((token) => !secrets.has(token))).toEqual([]);
  // Kubernetes Events are read by anyone who may `kubectl describe pod`: they are logs too.
  const events = (await Promise.all(namespaces.map((namespace) => harness.events(namespace)))).flat();
  expect(events.length).toBeGreaterThanOrEqual(minimum.events);
  const eventsFile = join(harness.dir, "events.json");
  writeFileSync(eventsFile, JSON.stringify(events));
  expect(leaks([...files, eventsFile, ...extraFiles], secrets)).toEqual([]);
  const canary = join(harness.dir, "canary.log");
  writeFileSync(canary, `{"msg":"oops","token":"${[...secrets][secrets.size - 1]}"}\n`);
  expect(leaks([canary], secrets)).toHaveLength(1);
}

/** Runs a program to completion without blocking this process (the sandbox's servers live in it). */
export function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      fail(new Error(`${command} did not finish within ${options.timeoutMs ?? 60_000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** A tool from `<repo>/.tools/bin` (scripts/install-tools.sh) or PATH. */
export function tool(name: string): string {
  const local = join(ROOT, ".tools", "bin", name);
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} is not installed: run scripts/install-tools.sh (Debian's prometheus package)`);
}
