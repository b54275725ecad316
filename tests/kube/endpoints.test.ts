// watchEndpoints(): follows the controller's own Service's Endpoints on the API stand-in (gossip seeds).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type EndpointsWatcher, watchEndpoints } from "../../lib/kube/index.ts";
import { waitFor } from "../support/wait.ts";
import { expectStatus, type KubeFixture, startKubeFixture } from "./support.ts";

setDefaultTimeout(60_000);

let kube: KubeFixture;
let watcher: EndpointsWatcher;
const collection = "/api/v1/namespaces/default/endpoints";

function endpoints(name: string, ready: string[], notReady: string[] = []) {
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name },
    subsets: [
      {
        addresses: ready.map((ip, index) => ({
          ip,
          targetRef: { kind: "Pod", name: `vault-controller-${index}` },
        })),
        notReadyAddresses: notReady.map((ip) => ({ ip })),
        ports: [{ name: "gossip", port: 45678 }],
      },
    ],
  };
}

beforeAll(async () => {
  kube = await startKubeFixture();
  await expectStatus(kube.admin, 201, collection, {
    method: "POST",
    body: endpoints("other-service", ["127.9.9.9"]),
  });
  watcher = watchEndpoints({
    transport: kube.inCluster(),
    namespace: "default",
    service: "kubernetes-vault",
  });
});
afterAll(async () => {
  await watcher?.stop();
  await kube?.close();
});

test("no Endpoints object yet: synced with no addresses", async () => {
  await waitFor("synced", () => watcher.hasSynced());
  expect(watcher.addresses()).toEqual([]);
});

test("creation and updates of this service's Endpoints are reported; other services are ignored", async () => {
  const changes: number[] = [];
  watcher.onChange((addresses) => changes.push(addresses.length));
  await expectStatus(kube.admin, 201, collection, {
    method: "POST",
    body: endpoints("kubernetes-vault", ["127.2.0.1"], ["127.2.0.2"]),
  });
  await waitFor("first addresses", () => watcher.addresses().length === 2);
  expect(watcher.addresses()).toEqual([
    { ip: "127.2.0.1", ready: true, podName: "vault-controller-0" },
    { ip: "127.2.0.2", ready: false },
  ]);
  await expectStatus(kube.admin, 200, `${collection}/kubernetes-vault`, {
    method: "PUT",
    body: endpoints("kubernetes-vault", ["127.2.0.1", "127.2.0.2", "127.2.0.3"]),
  });
  await waitFor("three ready", () => watcher.addresses().filter((address) => address.ready).length === 3);
  expect(watcher.addresses().some((address) => address.ip === "127.9.9.9")).toBe(false);
  await expectStatus(kube.admin, 200, `${collection}/kubernetes-vault`, { method: "DELETE" });
  await waitFor("gone", () => watcher.addresses().length === 0);
  expect(changes.length).toBeGreaterThanOrEqual(3);
});
