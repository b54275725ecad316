// Pod informer lifecycle against the API stand-in: periodic resync, refused credentials reported clearly (and never
// synced), stop() before sync, and podSourceOf() as lib/controller's PodSource.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { PodSource } from "../../lib/controller/assembly/index.ts";
import { createKubeTransport, createPodInformer, loadKubeConfig, podSourceOf } from "../../lib/kube/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { waitFor } from "../support/wait.ts";
import { createPod, deletePod, type KubeFixture, startKubeFixture } from "./support.ts";

setDefaultTimeout(60_000);

let kube: KubeFixture;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  kube = await startKubeFixture();
  await createPod(kube.admin, "default", "steady");
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await kube?.close();
});

test("resync re-delivers every cached pod as an update although nothing changed", async () => {
  const informer = createPodInformer({ transport: kube.inCluster(), resyncMs: 50 });
  stops.push(() => informer.stop());
  const updates: string[] = [];
  informer.on((type, key) => {
    if (type === "update") updates.push(key.name);
  });
  informer.start();
  await informer.waitForSync();
  await waitFor("two resyncs", () => updates.filter((name) => name === "steady").length >= 2);
  expect(informer.size()).toBe(1);
});

test("a refused token is logged with the status and a hint, and the informer never claims to be synced", async () => {
  const accountDir = path.join(kube.dir, "bad-account");
  await Bun.write(path.join(accountDir, "ca.crt"), kube.sim.caPem);
  await writeFile(path.join(accountDir, "token"), "not-a-valid-token");
  const url = new URL(kube.sim.server);
  const config = loadKubeConfig({
    serviceAccountDir: accountDir,
    env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
  });
  const lines: string[] = [];
  const informer = createPodInformer({
    transport: createKubeTransport(config),
    log: createLogger("debug", {}, (line) => lines.push(line)),
  });
  informer.start();
  const synced = informer.waitForSync();
  await waitFor("a logged failure", () => lines.find((line) => line.includes("401")));
  expect(informer.hasSynced()).toBe(false);
  expect(lines.join("\n")).toContain("service-account token was refused");
  expect(lines.join("\n")).not.toContain("not-a-valid-token");
  await informer.stop();
  await expect(synced).rejects.toThrow("stopped before it synced");
});

test("podSourceOf() is a lib/controller PodSource: cached pods on add/update, a key-only tombstone on delete", async () => {
  const informer = createPodInformer({ transport: kube.inCluster(), resyncMs: 0 });
  stops.push(() => informer.stop());
  const source: PodSource = podSourceOf(informer);
  const seen: string[] = [];
  source.subscribe((type, pod) => seen.push(`${type} ${pod.metadata?.name} ${pod.status?.podIP ?? "-"}`));
  informer.start();
  await source.waitForSync();
  expect(source.list().map((pod) => pod.metadata?.name)).toEqual(["steady"]);
  await createPod(kube.admin, "default", "transient");
  await deletePod(kube.admin, "default", "transient");
  await waitFor("tombstone", () => seen.includes("delete transient -"));
  expect(seen).toContain("add transient -");
});
