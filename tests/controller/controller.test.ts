// The assembled controller: informer events -> queue -> reconcile, leadership gating and bounded shutdown.
import { describe, expect, test } from "bun:test";
import {
  type ControllerMetrics,
  createController,
  noopControllerMetrics,
  type PodEventType,
  type PodSource,
} from "../../lib/controller/assembly/index.ts";
import { createLeadershipState } from "../../lib/controller/leader/index.ts";
import type { PodView } from "../../lib/controller/reconcile/index.ts";
import { seededRandom } from "../../lib/controller/support/clock.ts";
import { waitFor } from "../support/wait.ts";
import { fakeWorld, podWith } from "./support/fakes.ts";
import { settle } from "./support/manual-clock.ts";

function fakeInformer(initial: PodView[] = []) {
  const cache = new Map<string, PodView>(initial.map((pod) => [pod.metadata?.uid ?? "", pod]));
  const handlers = new Set<(type: PodEventType, pod: PodView) => void>();
  let synced: () => void = () => {};
  const syncedPromise = new Promise<void>((resolve) => {
    synced = resolve;
  });
  const source: PodSource = {
    subscribe(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    list: () => [...cache.values()],
    waitForSync: () => syncedPromise,
  };
  const emit = (type: PodEventType, pod: PodView) => {
    const uid = pod.metadata?.uid ?? "";
    if (type === "delete") cache.delete(uid);
    else cache.set(uid, pod);
    for (const handler of handlers) handler(type, pod);
  };
  return { source, emit, sync: () => synced() };
}

function assemble(
  world: ReturnType<typeof fakeWorld>,
  pods: PodSource,
  metrics: ControllerMetrics = noopControllerMetrics,
) {
  return createController({
    ...world.deps,
    pods,
    metrics,
    random: seededRandom(5),
    workers: 4,
    drainMs: 5_000,
  });
}

describe("controller", () => {
  test("waits for the informer to sync, then serves cached and new pods, and revokes deleted ones", async () => {
    const world = fakeWorld();
    const informer = fakeInformer([podWith({ uid: "p1", name: "p1" })]);
    const controller = assemble(world, informer.source);
    const started = controller.start();
    await settle(200);
    expect(world.minted).toHaveLength(0);
    informer.sync();
    await started;
    await waitFor("p1 served", () => world.deps.ledger.get("p1")?.state === "confirmed");
    informer.emit("add", podWith({ uid: "p2", name: "p2", initState: "waiting" }));
    informer.emit("add", podWith({ uid: "other", name: "other", annotations: {} }));
    informer.emit("update", podWith({ uid: "p2", name: "p2" }));
    await waitFor("p2 served", () => world.deps.ledger.get("p2")?.state === "confirmed");
    informer.emit("delete", podWith({ uid: "p1", name: "p1" }));
    await waitFor("p1 forgotten", () => world.deps.ledger.get("p1") === undefined);
    expect(world.revoked).toEqual(["tok-acc-1"]);
    expect(world.minted).toHaveLength(2);
    expect(await controller.stop()).toEqual({ drained: true });
  });

  test("only the leader reconciles; a new term picks up pods and ledger entries of deleted pods", async () => {
    const world = fakeWorld();
    const leader = createLeadershipState(false);
    const observed: boolean[] = [];
    const informer = fakeInformer([podWith({ uid: "p1", name: "p1" })]);
    await world.deps.ledger.beginIssuing({
      uid: "gone",
      namespace: "team-a",
      name: "gone",
      role: "web",
      restartCount: 0,
      at: 1,
    });
    await world.deps.ledger.confirm("gone", 0, { tokenAccessor: "gone-acc" }, 2);
    const controller = createController({
      ...world.deps,
      leader,
      pods: informer.source,
      metrics: { ...noopControllerMetrics, isLeader: (value) => observed.push(value) },
      random: seededRandom(5),
      workers: 2,
    });
    informer.sync();
    await controller.start();
    informer.emit("update", podWith({ uid: "p1", name: "p1" }));
    await settle(200);
    expect(world.minted).toHaveLength(0);
    leader.setLeader(true);
    await waitFor("p1 served by the leader", () => world.deps.ledger.get("p1")?.state === "confirmed");
    await waitFor("the deleted pod's token revoked", () => world.revoked.includes("gone-acc"));
    leader.setLeader(false);
    informer.emit("add", podWith({ uid: "p3", name: "p3" }));
    await settle(200);
    expect(world.deps.ledger.get("p3")).toBeUndefined();
    expect(observed).toEqual([false, true, false]);
    await controller.stop();
  });

  test("a new term of leadership waits for the previous term's workers to finish", async () => {
    const world = fakeWorld();
    const leader = createLeadershipState(true);
    let active = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    world.deps.pusher = {
      push: () =>
        new Promise((resolve) => {
          active++;
          peak = Math.max(peak, active);
          releases.push(() => {
            active--;
            resolve({ kind: "delivered", tokenAccessor: "t" });
          });
        }),
    };
    const informer = fakeInformer([podWith({ uid: "p1", name: "p1" })]);
    const controller = createController({
      ...world.deps,
      leader,
      pods: informer.source,
      metrics: noopControllerMetrics,
      random: seededRandom(5),
      workers: 2,
    });
    informer.sync();
    await controller.start();
    await waitFor("the first term's push", () => active === 1);
    leader.setLeader(false);
    leader.setLeader(true);
    await settle(200);
    expect(active).toBe(1);
    releases.shift()?.();
    await waitFor("p1 confirmed", () => world.deps.ledger.get("p1")?.state === "confirmed");
    await settle(200);
    expect(peak).toBe(1);
    expect(releases).toHaveLength(0);
    await controller.stop();
  });

  test("stop() stops intake and reports whether in-flight pushes finished within the bound", async () => {
    const world = fakeWorld();
    let release: () => void = () => {};
    let entered = 0;
    world.deps.pusher = {
      push: () =>
        new Promise((resolve) => {
          entered++;
          release = () => resolve({ kind: "delivered", tokenAccessor: "t" });
        }),
    };
    const informer = fakeInformer([podWith({ uid: "p1", name: "p1" })]);
    const controller = assemble(world, informer.source);
    informer.sync();
    await controller.start();
    await waitFor("the push to start", () => entered === 1);
    const stopping = controller.stop();
    informer.emit("add", podWith({ uid: "p2", name: "p2" }));
    world.clock.advance(4_999);
    release();
    expect(await stopping).toEqual({ drained: true });
    expect(world.deps.ledger.get("p1")?.state).toBe("confirmed");
    expect(world.deps.ledger.get("p2")).toBeUndefined();

    const stuckWorld = fakeWorld();
    let stuckEntered = false;
    stuckWorld.deps.pusher = {
      push: () => {
        stuckEntered = true;
        return new Promise(() => {});
      },
    };
    const stuckInformer = fakeInformer([podWith({ uid: "s1", name: "s1" })]);
    const stuck = assemble(stuckWorld, stuckInformer.source);
    stuckInformer.sync();
    await stuck.start();
    await waitFor("the stuck push to start", () => stuckEntered);
    const stuckStop = stuck.stop();
    stuckWorld.clock.advance(5_000);
    expect(await stuckStop).toEqual({ drained: false });
  });
});
