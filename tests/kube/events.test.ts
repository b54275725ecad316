// EventRecorder writing core/v1 Events to the API stand-in over HTTPS with in-cluster auth: fields, aggregation of
// repeats into count/lastTimestamp PATCHes, the per-pod rate limit, and re-creation after the Event vanished.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import * as v from "valibot";
import {
  createEventRecorder,
  type EventRecorder,
  eventSinkFor,
  type InvolvedPod,
} from "../../lib/kube/index.ts";
import { createPod, expectStatus, type KubeFixture, startKubeFixture } from "./support.ts";

setDefaultTimeout(60_000);

const EventSchema = v.object({
  metadata: v.object({ name: v.string() }),
  involvedObject: v.object({ kind: v.string(), name: v.string(), namespace: v.string(), uid: v.string() }),
  reason: v.string(),
  message: v.string(),
  type: v.string(),
  count: v.number(),
  source: v.object({ component: v.string(), host: v.optional(v.string()) }),
  reportingComponent: v.optional(v.string()),
  reportingInstance: v.optional(v.string()),
  firstTimestamp: v.string(),
  lastTimestamp: v.string(),
});
const EventListSchema = v.object({ items: v.array(EventSchema) });

let kube: KubeFixture;
let pod: InvolvedPod;
let clock = Date.parse("2026-03-01T10:00:00Z");
let recorder: EventRecorder;
const emitted: string[] = [];

beforeAll(async () => {
  kube = await startKubeFixture();
  await createPod(kube.admin, "default", "stuck");
  const answer = await kube.admin.request("/api/v1/namespaces/default/pods/stuck");
  const uid = v.parse(v.object({ metadata: v.object({ uid: v.string() }) }), answer.body).metadata.uid;
  pod = { uid, namespace: "default", name: "stuck" };
  recorder = createEventRecorder({
    transport: kube.inCluster(),
    instance: "controller-0",
    now: () => clock,
    correlator: { burst: 6 },
    onEmitted: (reason, type) => emitted.push(`${type}/${reason}`),
  });
});
afterAll(async () => {
  await kube?.close();
});

async function eventsAbout(reason: string) {
  const body = await expectStatus(kube.admin, 200, "/api/v1/namespaces/default/events");
  return v
    .parse(EventListSchema, body)
    .items.filter((event) => event.reason === reason && event.involvedObject.uid === pod.uid);
}

test("an event names the pod, the reason, the message and kubernetes-vault as its source", async () => {
  recorder.record(
    pod,
    "VaultTokenDelivered",
    "delivered a Vault token to init container vault-init",
    "Normal",
  );
  await recorder.flush();
  const [event, ...others] = await eventsAbout("VaultTokenDelivered");
  expect(others).toEqual([]);
  expect(event).toMatchObject({
    involvedObject: { kind: "Pod", ...pod },
    type: "Normal",
    count: 1,
    message: "delivered a Vault token to init container vault-init",
    source: { component: "kubernetes-vault", host: "controller-0" },
    reportingInstance: "controller-0",
    firstTimestamp: "2026-03-01T10:00:00Z",
  });
  expect(emitted).toEqual(["Normal/VaultTokenDelivered"]);
});

test("identical repeats become one Event whose count and lastTimestamp grow", async () => {
  const sink = eventSinkFor(recorder, { VaultSecretIdDenied: "Warning" });
  for (let attempt = 0; attempt < 3; attempt++) {
    sink.record(pod, "VaultSecretIdDenied", "Vault said: 1 error occurred: permission denied");
    clock += 30_000;
  }
  await recorder.flush();
  const events = await eventsAbout("VaultSecretIdDenied");
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({
    count: 3,
    type: "Warning",
    firstTimestamp: "2026-03-01T10:00:00Z",
    lastTimestamp: "2026-03-01T10:01:00Z",
  });
});

test("a repeat whose Event was deleted (event TTL) is written as a new Event", async () => {
  const [existing] = await eventsAbout("VaultSecretIdDenied");
  await expectStatus(kube.admin, 200, `/api/v1/namespaces/default/events/${existing?.metadata.name}`, {
    method: "DELETE",
  });
  recorder.record(pod, "VaultSecretIdDenied", "Vault said: 1 error occurred: permission denied", "Warning");
  await recorder.flush();
  const events = await eventsAbout("VaultSecretIdDenied");
  expect(events).toHaveLength(1);
  expect(events[0]?.count).toBe(1);
});

test("the per-pod rate limit stops a retry loop from spamming", async () => {
  // Six tokens per pod in this recorder; five were spent above, so only one of these ten gets through.
  for (let attempt = 0; attempt < 10; attempt++)
    recorder.record(pod, "VaultPushFailed", `push failed: attempt ${attempt}`, "Warning");
  await recorder.flush();
  const events = await eventsAbout("VaultPushFailed");
  expect(events.map((event) => event.message)).toEqual(["push failed: attempt 0"]);
});

test("a write the API server cannot take (cut connection, 503) is retried; a create whose answer was lost is not doubled", async () => {
  const inner = kube.inCluster();
  const waits: number[] = [];
  let failuresLeft = 3;
  let posts = 0;
  const flaky = {
    server: inner.server,
    async request(path: string, request?: Parameters<typeof inner.request>[1]) {
      if (request?.method === "POST") posts++;
      if (failuresLeft === 3) {
        failuresLeft--;
        throw new Error("socket hang up");
      }
      if (failuresLeft === 2) {
        failuresLeft--;
        return { status: 503, body: { kind: "Status", code: 503 } };
      }
      if (failuresLeft === 1) {
        // The create lands, but its answer is lost: the retry meets the Event it made.
        failuresLeft--;
        await inner.request(path, request);
        throw new Error("read ECONNRESET");
      }
      return inner.request(path, request);
    },
    stream: inner.stream.bind(inner),
  };
  const retrying = createEventRecorder({
    transport: flaky,
    instance: "kubernetes-vault-retry",
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  retrying.record(pod, "RetriedReason", "written after an API-server restart");
  await retrying.flush();
  const list = v.parse(EventListSchema, (await kube.admin.request("/api/v1/namespaces/default/events")).body);
  const written = list.items.filter((event) => event.reason === "RetriedReason");
  expect(written).toHaveLength(1);
  expect(posts).toBe(4);
  expect(waits).toEqual([250, 500, 1000]);
});
