/**
 * Watch recovery against real compaction. After churn, etcd is compacted and the API server restarted (its watch
 * cache then starts at the new revision), so a watch from the old resourceVersion gets the real 410 Gone; the
 * controller's list-watch (lib/kube runListWatch, over the same transport the compiled controller uses) must re-list
 * and go on delivering events, and the stand-in must answer that watch the way the real server does.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createKubeTransport,
  type KubeTransport,
  loadKubeConfig,
  runListWatch,
  type WatchChange,
} from "../../lib/kube/index.ts";
import { type ControlPlane, startControlPlane } from "../../sim/real/control-plane.ts";
import { counting } from "../kube/support.ts";
import { waitFor } from "../support/wait.ts";

setDefaultTimeout(300_000);

const NAMESPACE = "default";
const PODS = `/api/v1/namespaces/${NAMESPACE}/pods`;
let plane: ControlPlane;
let admin: KubeTransport;

beforeAll(async () => {
  plane = await startControlPlane(mkdtempSync(join(tmpdir(), "kv-real-410-")));
  admin = createKubeTransport(loadKubeConfig({ kubeconfigPath: plane.kube.adminKubeconfigPath }));
});

afterAll(async () => {
  await plane?.stop();
});

async function createPod(name: string): Promise<void> {
  const answer = await admin.request(PODS, {
    method: "POST",
    body: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: { containers: [{ name: "app", image: "docker.io/library/busybox:1.36" }] },
    },
  });
  expect(answer.status).toBe(201);
}

async function compactAndRestart(): Promise<void> {
  await plane.etcd.compact();
  await plane.kube.apiserver.stop();
  await plane.kube.apiserver.start();
}

/** The first thing a watch from `resourceVersion` says: an HTTP status, or its first event. */
async function watchAnswer(resourceVersion: string): Promise<unknown> {
  const stop = new AbortController();
  let first: unknown;
  const end = await admin.stream(
    PODS,
    { watch: 1, resourceVersion, timeoutSeconds: 5 },
    (line) => {
      first ??= JSON.parse(line);
      stop.abort();
    },
    stop.signal,
  );
  return end.kind === "status" ? { httpStatus: end.status, body: end.body } : first;
}

test("a watch from a resourceVersion older than the compaction gets 410 Expired", async () => {
  const listed = await admin.request(PODS);
  const before = (listed.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  for (let i = 0; i < 5; i++) await createPod(`churn-${i}`);
  await compactAndRestart();
  const answer = await waitFor("the restarted API server to answer the watch", () => watchAnswer(before));
  // Either form is a 410 to a client; the real server's is recorded here so the stand-in can match it.
  const status = JSON.stringify(answer);
  expect(status).toContain("410");
  expect(status).toMatch(/Expired|too old resource version/);
});

test("runListWatch re-lists after the real 410 and keeps delivering events", async () => {
  const transport = counting(admin);
  const events: WatchChange[] = [];
  let synced = 0;
  const stop = new AbortController();
  const running = runListWatch({
    transport,
    path: PODS,
    onList: () => {},
    onEvent: (change) => events.push(change),
    onSynced: () => {
      synced++;
    },
    onError: () => {},
    signal: stop.signal,
  });
  try {
    await waitFor("the first list", () => synced >= 1);
    for (let i = 0; i < 5; i++) await createPod(`before-compaction-${i}`);
    await waitFor("the watch to see the churn", () => events.length >= 5);
    await compactAndRestart();
    await createPod("after-compaction");
    await waitFor("a re-list after the 410", () => synced >= 2 && transport.lists >= 2, 120_000);
    await waitFor("the new pod in the watch or the re-list", async () => {
      const listed = await admin.request(PODS);
      const names = (listed.body as { items: { metadata: { name: string } }[] }).items.map(
        (p) => p.metadata.name,
      );
      return names.includes("after-compaction");
    });
    expect(transport.lists).toBeGreaterThanOrEqual(2);
  } finally {
    stop.abort();
    await running.catch(() => {});
  }
});
