// EventCorrelator with a hand-driven clock: client-go's aggregation of identical events and per-object spam filter.
import { expect, test } from "bun:test";
import { EventCorrelator, type EventInput } from "../../lib/kube/index.ts";

/** Binds the correlator to a hand-driven clock, so each call passes "now" the way the recorder does. */
function correlatorAt(start = 1_000_000, options = {}) {
  const clock = { now: start };
  const inner = new EventCorrelator(options);
  const correlator = {
    correlate: (event: EventInput) => inner.correlate(event, clock.now),
    created: (key: string, name: string) => inner.created(key, name, clock.now),
    forget: (key: string) => inner.forget(key),
  };
  return { clock, correlator };
}

const denied: EventInput = {
  uid: "u1",
  reason: "VaultSecretIdDenied",
  message: "permission denied",
  type: "Warning",
};

test("an identical repeat within the window patches the recorded event with a growing count", () => {
  const { clock, correlator } = correlatorAt();
  const first = correlator.correlate(denied);
  expect(first.kind).toBe("create");
  if (first.kind === "create") correlator.created(first.key, "pod.1");
  clock.now += 1000;
  expect(correlator.correlate(denied)).toMatchObject({
    kind: "patch",
    name: "pod.1",
    count: 2,
    firstMs: 1_000_000,
  });
  expect(correlator.correlate(denied)).toMatchObject({ kind: "patch", count: 3 });
});

test("a different message, reason, type or pod is a new event", () => {
  const { correlator } = correlatorAt();
  const first = correlator.correlate(denied);
  if (first.kind === "create") correlator.created(first.key, "pod.1");
  for (const variant of [
    { ...denied, message: "other" },
    { ...denied, reason: "VaultPushFailed" },
    { ...denied, type: "Normal" as const },
    { ...denied, uid: "u2" },
  ])
    expect(correlator.correlate(variant).kind).toBe("create");
});

test("after the window, or after forget(), a repeat creates a fresh event", () => {
  const { clock, correlator } = correlatorAt(0, { windowMs: 10_000 });
  const first = correlator.correlate(denied);
  if (first.kind === "create") correlator.created(first.key, "pod.1");
  clock.now += 10_001;
  expect(correlator.correlate(denied).kind).toBe("create");
  const again = correlator.correlate({ ...denied, message: "m2" });
  if (again.kind === "create") {
    correlator.created(again.key, "pod.2");
    correlator.forget(again.key);
  }
  expect(correlator.correlate({ ...denied, message: "m2" }).kind).toBe("create");
});

test("the per-pod rate limit drops after the burst and refills one token per interval", () => {
  const { clock, correlator } = correlatorAt(0, { burst: 3, refillEveryMs: 60_000 });
  const kinds = Array.from(
    { length: 5 },
    (_, index) => correlator.correlate({ ...denied, message: `m${index}` }).kind,
  );
  expect(kinds).toEqual(["create", "create", "create", "drop", "drop"]);
  expect(correlator.correlate({ ...denied, uid: "another-pod" }).kind).toBe("create");
  clock.now += 60_000;
  expect(correlator.correlate({ ...denied, message: "m5" }).kind).toBe("create");
  expect(correlator.correlate({ ...denied, message: "m6" }).kind).toBe("drop");
  clock.now += 10 * 60_000;
  const refilled = Array.from(
    { length: 4 },
    (_, index) => correlator.correlate({ ...denied, message: `r${index}` }).kind,
  );
  expect(refilled).toEqual(["create", "create", "create", "drop"]);
});

test("the cache of recent events is bounded (LRU)", () => {
  const { correlator } = correlatorAt(0, { maxEntries: 2 });
  for (const message of ["a", "b", "c"]) {
    const result = correlator.correlate({ ...denied, uid: message, message });
    if (result.kind === "create") correlator.created(result.key, message);
  }
  expect(correlator.correlate({ ...denied, uid: "a", message: "a" }).kind).toBe("create");
  expect(correlator.correlate({ ...denied, uid: "c", message: "c" }).kind).toBe("patch");
});
