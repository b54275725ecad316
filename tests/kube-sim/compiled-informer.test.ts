// The informer program in fixtures/ compiled with `bun build --compile` and run as a child process: proves that
// @kubernetes/client-node 1.4.0's TLS settings (private CA, bearer token file) work inside a compiled binary, with
// in-cluster service-account auth (KubeConfig.loadFromCluster,
// https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/#without-using-a-proxy).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { waitFor } from "../support/wait.ts";
import { call, podManifest, startTestSim, type TestSim } from "./helpers.ts";
import { writeServiceAccount } from "./informer-support.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

const repo = path.resolve(import.meta.dir, "../..");
let t: TestSim;
let buildDir: string;
let child: ChildProcess | undefined;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await startTestSim();
  buildDir = await mkdtemp(path.join(tmpdir(), "compiled-informer-"));
  const binary = path.join(buildDir, "informer");
  const build = spawnSync(
    path.join(repo, "node_modules/.bin/bun"),
    [
      "build",
      "--compile",
      path.join(repo, "tests/kube-sim/fixtures/informer-program.ts"),
      "--outfile",
      binary,
    ],
    { cwd: repo, encoding: "utf8", timeout: 110_000 },
  );
  if (build.status !== 0) throw new Error(`bun build --compile failed: ${build.stderr}`);
  const root = path.join(buildDir, "pod-root");
  await writeServiceAccount(t.sim, root);
  const url = new URL(t.sim.server);
  child = spawn(binary, [], {
    env: {
      PATH: process.env.PATH ?? "",
      KUBERNETES_SERVICE_HOST: url.hostname,
      KUBERNETES_SERVICE_PORT: url.port,
      SA_ROOT: root,
      WATCH_NAMESPACE: "default",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  await waitFor("the compiled informer to sync", () => lines.some((l) => l.event === "ready"));
}, 120_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(child.pid, "SIGTERM");
    await exited;
  }
  await t.close();
  await rm(buildDir, { recursive: true, force: true });
});

const pods = "/api/v1/namespaces/default/pods";
const has = (event: string, name: string) => lines.some((l) => l.event === event && l.name === name);

test("the compiled binary sees ADD, UPDATE and DELETE", async () => {
  await call(t.sim, "POST", pods, { body: podManifest("bin-a") });
  await waitFor("add bin-a", () => has("add", "bin-a"));
  await call(t.sim, "PATCH", `${pods}/bin-a`, {
    body: { metadata: { labels: { v: "2" } } },
    contentType: "application/merge-patch+json",
  });
  await waitFor("update bin-a", () => has("update", "bin-a"));
  await call(t.sim, "DELETE", `${pods}/bin-a`);
  await waitFor("delete bin-a", () => has("delete", "bin-a"));
  expect(lines.filter((l) => l.event === "error")).toEqual([]);
}, 90_000);

test("the compiled binary recovers from a cut watch and from compaction (410 -> re-list)", async () => {
  const listsSoFar = () => lines.filter((l) => l.event === "list").length;
  t.sim.cutWatches();
  await call(t.sim, "POST", pods, { body: podManifest("bin-b") });
  await waitFor("add bin-b", () => has("add", "bin-b"));
  const before = listsSoFar();
  await call(t.sim, "POST", "/api/v1/namespaces", { body: { metadata: { name: "bump" } } });
  t.sim.compactAll();
  t.sim.cutWatches();
  await call(t.sim, "POST", pods, { body: podManifest("bin-c") });
  await waitFor("add bin-c", () => has("add", "bin-c"));
  await waitFor("a re-list", () => listsSoFar() > before);
  expect(lines.filter((l) => l.event === "error")).toEqual([]);
}, 90_000);
