/**
 * Test helpers for the API server stand-in: a started sim in a temp dir, a JSON client over its real HTTPS
 * endpoint (Bun fetch trusting the sim's CA), and a watch reader that yields events line by line.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type KubeApiSim, type KubeApiSimOptions, startKubeApiSim } from "../../sim/kube/index.ts";

export interface TestSim {
  sim: KubeApiSim;
  dir: string;
  close(): Promise<void>;
}

export async function startTestSim(options: Partial<KubeApiSimOptions> = {}): Promise<TestSim> {
  const dir = await mkdtemp(path.join(tmpdir(), "kube-sim-"));
  const sim = await startKubeApiSim({ dir, ...options });
  return {
    sim,
    dir,
    async close() {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One sim for the whole test file: started in beforeAll, closed in afterAll. `sim` is readable from the tests
 * (after beforeAll has run).
 */
export function useTestSim(options: Partial<KubeApiSimOptions> = {}): { readonly sim: KubeApiSim } {
  let current: TestSim | undefined;
  beforeAll(async () => {
    current = await startTestSim(options);
  });
  afterAll(() => current?.close());
  return {
    get sim() {
      if (!current) throw new Error("the test sim is read before beforeAll started it");
      return current.sim;
    },
  };
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  token?: string | null;
}

export interface CallResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON documents
  json: any;
}

export async function call(
  sim: KubeApiSim,
  method: string,
  url: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? sim.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  const response = await fetch(`${sim.server}${url}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    tls: { ca: sim.caPem },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** A failure Status with this code and reason (kube-apiserver's error body). */
export function expectStatus(
  json: { kind: string; apiVersion: string; status: string; code: number; reason?: string },
  code: number,
  reason: string,
) {
  expect(json).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason });
}

export function podManifest(
  name: string,
  labels: Record<string, string> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: { containers: [{ name: "app", image: "registry.example/app:1" }] },
    ...extra,
  };
}

export interface WatchEvent {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: watch events carry arbitrary objects
  object: any;
}

export interface WatchReader {
  status: number;
  /** The next event; rejects after `deadlineMs`, resolves undefined when the server ended the stream. */
  next(deadlineMs?: number): Promise<WatchEvent | undefined>;
  close(): void;
}

export async function openWatch(sim: KubeApiSim, url: string): Promise<WatchReader> {
  const controller = new AbortController();
  const response = await fetch(`${sim.server}${url}`, {
    headers: { authorization: `Bearer ${sim.token}` },
    tls: { ca: sim.caPem },
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let ended = false;
  return {
    status: response.status,
    async next(deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const newline = buffered.indexOf("\n");
        if (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim()) return JSON.parse(line) as WatchEvent;
          continue;
        }
        if (ended || !reader) return undefined;
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no watch event within ${deadlineMs} ms`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), remaining);
        });
        const chunk = await Promise.race([reader.read(), timeout]);
        clearTimeout(timer);
        if (chunk === "timeout") throw new Error(`no watch event within ${deadlineMs} ms`);
        if (chunk.done) ended = true;
        else buffered += decoder.decode(chunk.value, { stream: true });
      }
    },
    close() {
      controller.abort();
    },
  };
}
