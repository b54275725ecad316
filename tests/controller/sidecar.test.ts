// Native-sidecar mode on the controller side (issue 15), against fakes: the mode read from the pod spec, expiry
// bookkeeping, status checks at expiry minus the margin, re-issue at generation + 1, and failover during a re-issue.
import { describe, expect, test } from "bun:test";
import { createController, noopControllerMetrics } from "../../lib/controller/assembly/index.ts";
import {
  createLedgerStateMachine,
  type IssuanceEntry,
  NotLeaderError,
  SUPERSEDED_ACCESSORS_KEPT,
} from "../../lib/controller/ledger/index.ts";
import { createReconciler, initModeOf, type PodView } from "../../lib/controller/reconcile/index.ts";
import { reissueMarginMs } from "../../lib/controller/reconcile/sidecar.ts";
import { seededRandom } from "../../lib/controller/support/clock.ts";
import { TerminalError } from "../../lib/controller/support/errors.ts";
import { isSlimPod, slimPod } from "../../lib/kube/slim-pod.ts";
import type { TokenStatus } from "../../lib/push/index.ts";
import { waitFor } from "../support/wait.ts";
import { fakeWorld, podWith, sidecarPod } from "./support/fakes.ts";
import { settle } from "./support/manual-clock.ts";

const TTL_SECONDS = 8;
/** min(30 s default, a quarter of the 8 s lease). */
const MARGIN_MS = 2_000;

/**
 * A sidecar as the contract describes it: it logs in once per generation it is pushed, answers a repeated
 * generation with the confirmation it already gave, and reports its token's standing on /status.
 */
function fakeSidecar(world: ReturnType<typeof fakeWorld>) {
  const logins: { generation: number; secretIdAccessor: string }[] = [];
  let held: { generation: number; tokenAccessor: string; secretIdAccessor: string } | undefined;
  let standing: TokenStatus["token"] = "valid";
  let ttlSeconds = TTL_SECONDS;
  let reachable = true;
  world.deps.pusher = {
    async push(podIp, request) {
      world.pushes.push({ podIp, request });
      const generation = request.generation ?? 0;
      if (held?.generation !== generation) {
        const secretIdAccessor = request.token.replace("s.wrapping-", "sid-acc-");
        held = { generation, secretIdAccessor, tokenAccessor: `tok-gen-${generation}` };
        logins.push({ generation, secretIdAccessor });
        standing = "valid";
        ttlSeconds = TTL_SECONDS;
      }
      return {
        kind: "delivered",
        tokenAccessor: held.tokenAccessor,
        secretIdAccessor: held.secretIdAccessor,
        mode: "sidecar",
        tokenTtlSeconds: TTL_SECONDS,
        tokenRenewable: true,
        generation,
      };
    },
    async status(podIp) {
      world.statusChecks.push({ podIp, at: world.clock.now() });
      if (!reachable) return { kind: "unreachable", reason: "connect ECONNREFUSED" };
      return {
        kind: "status",
        status: {
          mode: "sidecar",
          token: standing,
          ttlSeconds: standing === "none" ? 0 : ttlSeconds,
          renewable: standing === "valid",
          ...(held ? { generation: held.generation } : {}),
        },
      };
    },
  };
  return {
    logins,
    held: () => held,
    stand: (token: TokenStatus["token"], ttl = TTL_SECONDS) => {
      standing = token;
      ttlSeconds = ttl;
    },
    unreachable: (value: boolean) => {
      reachable = !value;
    },
  };
}

function servedSidecar() {
  const world = fakeWorld();
  const sidecar = fakeSidecar(world);
  world.pods.set("uid-1", sidecarPod({}));
  const reconcile = createReconciler(world.deps);
  return { world, sidecar, reconcile };
}

describe("sidecar mode, first delivery", () => {
  test("records mode, generation 0 and the absolute expiry, and asks to be looked at at expiry minus the margin", async () => {
    const { world, reconcile } = servedSidecar();
    const confirmedAt = world.clock.now();
    expect(await reconcile("uid-1")).toEqual({ requeueAfterMs: TTL_SECONDS * 1000 - MARGIN_MS });
    expect(world.pushes[0]?.request.generation).toBe(0);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({
      state: "confirmed",
      mode: "sidecar",
      generation: 0,
      tokenExpiresAt: confirmedAt + TTL_SECONDS * 1000,
      tokenTtlSeconds: TTL_SECONDS,
      tokenRenewable: true,
      tokenAccessor: "tok-gen-0",
    });
    expect(world.commands.map((command) => command.op)).toEqual(["beginIssuing", "confirm"]);
    expect(world.events.map((event) => event.reason)).toEqual(["VaultTokenDelivered"]);
    expect(world.latencies).toHaveLength(1);
  });

  test("the margin is SIDECAR_REISSUE_MARGIN, capped at a quarter of the lease", () => {
    const entry = { tokenTtlSeconds: 3600 } as IssuanceEntry;
    expect(reissueMarginMs({ settings: { ...fakeWorld().deps.settings } }, entry)).toBe(30_000);
    expect(
      reissueMarginMs({ settings: { ...fakeWorld().deps.settings, sidecarReissueMarginMs: 5_000 } }, entry),
    ).toBe(5_000);
    expect(
      reissueMarginMs({ settings: fakeWorld().deps.settings }, { tokenTtlSeconds: 4 } as IssuanceEntry),
    ).toBe(1_000);
  });
});

describe("sidecar mode, at the due time", () => {
  test("before it is due nothing is asked; a valid status records the renewal and defers", async () => {
    const { world, reconcile } = servedSidecar();
    await reconcile("uid-1");
    world.clock.advance(3_000);
    expect(await reconcile("uid-1")).toEqual({ requeueAfterMs: 3_000 });
    expect(world.statusChecks).toHaveLength(0);
    world.clock.advance(3_000);
    expect(await reconcile("uid-1")).toEqual({ requeueAfterMs: TTL_SECONDS * 1000 - MARGIN_MS });
    expect(world.statusChecks).toHaveLength(1);
    expect(world.minted).toHaveLength(1);
    expect(world.deps.ledger.get("uid-1")?.tokenExpiresAt).toBe(world.clock.now() + TTL_SECONDS * 1000);
    expect(world.commands.map((command) => command.op)).toEqual(["beginIssuing", "confirm", "renewed"]);
    expect(world.counters.get("statusChecked:valid")).toBe(1);
    expect(world.counters.get("renewalObserved:web")).toBe(1);
  });

  test("expiring: re-issued at generation 1 before the token expires; the old token is kept for revocation", async () => {
    const { world, sidecar, reconcile } = servedSidecar();
    await reconcile("uid-1");
    const oldExpiry = world.deps.ledger.get("uid-1")?.tokenExpiresAt ?? 0;
    world.clock.advance(TTL_SECONDS * 1000 - MARGIN_MS);
    sidecar.stand("expiring", 2);
    const result = await reconcile("uid-1");
    expect(world.clock.now()).toBeLessThan(oldExpiry);
    expect(world.minted).toHaveLength(2);
    expect(world.pushes[1]?.request.generation).toBe(1);
    expect(sidecar.logins.map((login) => login.generation)).toEqual([0, 1]);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({
      state: "confirmed",
      generation: 1,
      mode: "sidecar",
      tokenAccessor: "tok-gen-1",
      supersededTokenAccessors: ["tok-gen-0"],
      tokenExpiresAt: world.clock.now() + TTL_SECONDS * 1000,
    });
    expect(result).toEqual({ requeueAfterMs: TTL_SECONDS * 1000 - MARGIN_MS });
    expect(world.events.map((event) => event.reason)).toEqual(["VaultTokenDelivered", "VaultTokenReissued"]);
    expect(world.events[1]?.message).toContain("generation 1");
    expect(world.counters.get("reissued:web")).toBe(1);
    expect(world.counters.get("pushed:web")).toBe(2);
    // A re-issue is not a pod waiting for its token.
    expect(world.latencies).toHaveLength(1);
    expect(world.commands.slice(2)).toMatchObject([
      { op: "beginIssuing", generation: 1 },
      { op: "confirm", generation: 1 },
    ]);
  });

  for (const [label, prepare] of [
    ["no token", (s: ReturnType<typeof fakeSidecar>) => s.stand("none")],
    ["no answer", (s: ReturnType<typeof fakeSidecar>) => s.unreachable(true)],
    ["valid but not renewed in time", (s: ReturnType<typeof fakeSidecar>) => s.stand("valid", 0)],
  ] as const)
    test(`${label}: re-issued`, async () => {
      const { world, sidecar, reconcile } = servedSidecar();
      await reconcile("uid-1");
      world.clock.advance(TTL_SECONDS * 1000 - MARGIN_MS);
      prepare(sidecar);
      await reconcile("uid-1");
      expect(world.deps.ledger.get("uid-1")).toMatchObject({ state: "confirmed", generation: 1 });
      expect(sidecar.logins).toHaveLength(2);
    });

  test("a failed re-issue warns, is retried at the same generation, and never skips one", async () => {
    const { world, sidecar, reconcile } = servedSidecar();
    await reconcile("uid-1");
    world.clock.advance(TTL_SECONDS * 1000 - MARGIN_MS);
    sidecar.stand("expiring", 2);
    const push = world.deps.pusher.push;
    world.deps.pusher.push = async () => ({
      kind: "failed",
      retry: true,
      reason: "init answered HTTP 502: login-failed",
    });
    await expect(reconcile("uid-1")).rejects.toThrow("login-failed");
    expect(world.events.at(-1)).toMatchObject({ reason: "VaultTokenReissueFailed" });
    expect(world.events.at(-1)?.message).toContain("generation 1");
    expect(world.counters.get("reissueFailed:web")).toBe(1);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({
      state: "failed",
      generation: 1,
      secretIdAccessor: "sid-acc-2",
    });
    world.deps.pusher.push = push;
    await reconcile("uid-1");
    expect(world.deps.ledger.get("uid-1")).toMatchObject({ state: "confirmed", generation: 1 });
    expect(world.pushes.at(-1)?.request.generation).toBe(1);
  });
});

describe("through the work queue", () => {
  test("the controller re-issues a sidecar at expiry minus the margin, before the token expires, and again after", async () => {
    const world = fakeWorld();
    const sidecar = fakeSidecar(world);
    const pod = sidecarPod({});
    const controller = createController({
      ...world.deps,
      pods: { subscribe: () => () => {}, list: () => [pod], waitForSync: () => Promise.resolve() },
      metrics: noopControllerMetrics,
      random: seededRandom(7),
      workers: 2,
      drainMs: 5_000,
    });
    try {
      await controller.start();
      await waitFor("generation 0 confirmed", () => world.deps.ledger.get("uid-1")?.state === "confirmed");
      const firstExpiry = world.deps.ledger.get("uid-1")?.tokenExpiresAt ?? 0;
      sidecar.stand("expiring", 2);
      world.clock.advance(TTL_SECONDS * 1000 - MARGIN_MS - 1);
      await settle(100);
      expect(world.statusChecks).toHaveLength(0);
      world.clock.advance(1);
      await waitFor(
        "generation 1 confirmed",
        () =>
          world.deps.ledger.get("uid-1")?.generation === 1 &&
          world.deps.ledger.get("uid-1")?.state === "confirmed",
      );
      expect(world.statusChecks.map((check) => check.at)).toEqual([firstExpiry - MARGIN_MS]);
      expect(world.clock.now()).toBeLessThan(firstExpiry);
      const secondExpiry = world.deps.ledger.get("uid-1")?.tokenExpiresAt ?? 0;
      sidecar.stand("none");
      world.clock.advance(secondExpiry - MARGIN_MS - world.clock.now());
      await waitFor(
        "generation 2 confirmed",
        () =>
          world.deps.ledger.get("uid-1")?.generation === 2 &&
          world.deps.ledger.get("uid-1")?.state === "confirmed",
      );
      expect(sidecar.logins.map((login) => login.generation)).toEqual([0, 1, 2]);
      expect(world.events.map((event) => event.reason)).toEqual([
        "VaultTokenDelivered",
        "VaultTokenReissued",
        "VaultTokenReissued",
      ]);
    } finally {
      await controller.stop();
    }
  });
});

describe("failover during a re-issue", () => {
  /** Leader 1 pushes generation 1 (or not), then loses leadership before its confirmation commits. */
  async function interruptedReissue(options: { pushLanded: boolean }) {
    const { world, sidecar, reconcile } = servedSidecar();
    await reconcile("uid-1");
    world.clock.advance(TTL_SECONDS * 1000 - MARGIN_MS);
    sidecar.stand("expiring", 2);
    const ledger = world.deps.ledger;
    const push = world.deps.pusher.push;
    if (!options.pushLanded)
      world.deps.pusher.push = async () => ({ kind: "failed", retry: true, reason: "leader killed" });
    world.deps.ledger = {
      ...ledger,
      confirm: async () => Promise.reject(new NotLeaderError()),
      markFailed: async () => Promise.reject(new NotLeaderError()),
    };
    await reconcile("uid-1").catch(() => {});
    expect(world.deps.ledger.get("uid-1")).toMatchObject({ state: "issuing", generation: 1 });
    world.deps.ledger = ledger;
    world.deps.pusher.push = push;
    return { world, sidecar, newLeader: createReconciler(world.deps) };
  }

  test("the sidecar holds the generation: the new leader confirms it from /status and mints nothing", async () => {
    const { world, sidecar, newLeader } = await interruptedReissue({ pushLanded: true });
    expect(world.minted).toHaveLength(2);
    const result = await newLeader("uid-1");
    expect(world.minted).toHaveLength(2);
    expect(sidecar.logins.filter((login) => login.generation === 1)).toHaveLength(1);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({
      state: "confirmed",
      generation: 1,
      mode: "sidecar",
      tokenExpiresAt: world.clock.now() + TTL_SECONDS * 1000,
    });
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    await newLeader("uid-1");
    expect(world.minted).toHaveLength(2);
  });

  test("the status is not reachable: the repeated push is answered idempotently and the spare secret_id destroyed", async () => {
    const { world, sidecar, newLeader } = await interruptedReissue({ pushLanded: true });
    sidecar.unreachable(true);
    await newLeader("uid-1");
    expect(world.minted).toHaveLength(3);
    expect(sidecar.logins.filter((login) => login.generation === 1)).toEqual([
      { generation: 1, secretIdAccessor: "sid-acc-2" },
    ]);
    expect(world.destroyed).toEqual(["sid-acc-3"]);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({
      state: "confirmed",
      generation: 1,
      secretIdAccessor: "sid-acc-2",
    });
  });

  test("the push never landed: the new leader delivers generation 1 once", async () => {
    const { world, sidecar, newLeader } = await interruptedReissue({ pushLanded: false });
    await newLeader("uid-1");
    expect(sidecar.logins.map((login) => login.generation)).toEqual([0, 1]);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({ state: "confirmed", generation: 1 });
    expect(world.destroyed).toEqual([]);
  });
});

describe("init mode is unchanged", () => {
  test("an init-mode pod is never asked for its status nor re-issued, even with a lease in its confirmation", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "delivered", tokenAccessor: "t", secretIdAccessor: "s", tokenTtlSeconds: 8 });
    const reconcile = createReconciler(world.deps);
    expect(await reconcile("uid-1")).toEqual({});
    world.clock.advance(60_000);
    expect(await reconcile("uid-1")).toEqual({});
    expect(world.statusChecks).toHaveLength(0);
    expect(world.minted).toHaveLength(1);
    const entry = world.deps.ledger.get("uid-1");
    expect(entry?.mode).toBeUndefined();
    expect(entry?.tokenExpiresAt).toBeUndefined();
    expect(world.pushes[0]?.request).not.toHaveProperty("generation");
  });

  test("an init that answers without a mode is recorded as init mode even if the spec says sidecar", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", sidecarPod({}));
    world.answerPushes({ kind: "delivered", tokenAccessor: "t", tokenTtlSeconds: 8 });
    expect(await createReconciler(world.deps)("uid-1")).toEqual({});
    expect(world.deps.ledger.get("uid-1")?.mode).toBeUndefined();
  });
});

describe("reading the mode from the pod spec", () => {
  test("restartPolicy and MODE that disagree: InvalidVaultSidecar with the fix, no secret_id, no retry", async () => {
    for (const initSpec of [
      { restartPolicy: "Always" },
      { restartPolicy: "Always", mode: "init" },
      { mode: "sidecar" },
    ]) {
      const world = fakeWorld();
      world.pods.set("uid-1", podWith({ initSpec }));
      const error = await createReconciler(world.deps)("uid-1").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TerminalError);
      expect((error as TerminalError).kind).toBe("invalid-sidecar");
      expect(world.minted).toHaveLength(0);
      expect(world.events.map((event) => event.reason)).toEqual(["InvalidVaultSidecar"]);
      expect(world.events[0]?.message).toMatch(/MODE=sidecar|restartPolicy: Always/);
      expect(world.events[0]?.message).toContain("recreate the pod");
    }
  });

  test("agreeing specs, and a MODE from a ConfigMap (unreadable here) deferring to restartPolicy", () => {
    const pod = (initSpec: { restartPolicy?: string; mode?: string | null }) => podWith({ initSpec });
    expect(initModeOf(podWith({}), "vault-init")).toEqual({ mode: "init" });
    expect(initModeOf(pod({ restartPolicy: "Always", mode: "sidecar" }), "vault-init")).toEqual({
      mode: "sidecar",
    });
    expect(initModeOf(pod({ mode: "init" }), "vault-init")).toEqual({ mode: "init" });
    expect(initModeOf(pod({ restartPolicy: "Always", mode: null }), "vault-init")).toEqual({
      mode: "sidecar",
    });
    expect(initModeOf(pod({ mode: null }), "vault-init")).toEqual({ mode: "init" });
    // Another container's spec says nothing about ours.
    expect(initModeOf(pod({ restartPolicy: "Always", mode: "sidecar" }), "other")).toEqual({ mode: "init" });
  });

  test("lib/kube's slim pod keeps what initModeOf reads, and only that", () => {
    const slim = slimPod({
      metadata: { uid: "u", name: "p", namespace: "n", resourceVersion: "1" },
      spec: {
        initContainers: [
          {
            name: "vault-init",
            image: "kv-init",
            restartPolicy: "Always",
            env: [
              { name: "VAULT_ROLE_ID", value: "role-id" },
              { name: "MODE", value: "sidecar" },
            ],
          },
          { name: "migrate", image: "db", env: [{ name: "X", value: "y" }] },
        ],
      },
    });
    if (!isSlimPod(slim)) throw new Error(slim.error);
    expect(slim.spec.initContainers).toEqual([
      { name: "vault-init", restartPolicy: "Always", env: [{ name: "MODE", value: "sidecar" }] },
    ]);
    expect(initModeOf(slim as PodView, "vault-init")).toEqual({ mode: "sidecar" });
  });
});

describe("ledger generations", () => {
  const pod = { uid: "u", namespace: "n", name: "p", role: "web" };
  const confirmedSidecar = (restartCount = 0) => {
    const state = createLedgerStateMachine();
    state.apply({ op: "beginIssuing", ...pod, restartCount, at: 1 });
    state.apply({
      op: "confirm",
      uid: "u",
      restartCount,
      tokenAccessor: "t0",
      mode: "sidecar",
      tokenExpiresAt: 9,
      at: 2,
    });
    return state;
  };

  test("one issuance per (uid, restart, generation): no skipped, repeated or older generation", () => {
    const state = confirmedSidecar();
    expect(state.apply({ op: "beginIssuing", ...pod, restartCount: 0, generation: 2, at: 3 }).ok).toBe(false);
    expect(state.apply({ op: "beginIssuing", ...pod, restartCount: 0, at: 3 }).ok).toBe(false);
    expect(state.apply({ op: "beginIssuing", ...pod, restartCount: 0, generation: 1, at: 3 }).ok).toBe(true);
    expect(state.apply({ op: "confirm", uid: "u", restartCount: 0, at: 4 }).ok).toBe(false);
    expect(
      state.apply({ op: "renewed", uid: "u", restartCount: 0, generation: 1, tokenExpiresAt: 9, at: 4 }).ok,
    ).toBe(false);
    // The interrupted generation may be begun again (a new leader's retry), never the one before it.
    expect(state.apply({ op: "beginIssuing", ...pod, restartCount: 0, generation: 1, at: 5 }).ok).toBe(true);
    expect(state.apply({ op: "beginIssuing", ...pod, restartCount: 0, at: 5 }).ok).toBe(false);
    expect(
      state.apply({ op: "confirm", uid: "u", restartCount: 0, generation: 1, tokenAccessor: "t1", at: 6 }).ok,
    ).toBe(true);
    expect(state.get("u")).toMatchObject({
      generation: 1,
      mode: "sidecar",
      supersededTokenAccessors: ["t0"],
    });
    // A restart starts again at generation 0.
    expect(state.apply({ op: "beginIssuing", ...pod, restartCount: 1, at: 7 }).ok).toBe(true);
    expect(state.get("u")).toMatchObject({ generation: 0, supersededTokenAccessors: ["t0", "t1"] });
  });

  test("an init-mode entry is never re-issued", () => {
    const state = createLedgerStateMachine();
    state.apply({ op: "beginIssuing", ...pod, restartCount: 0, at: 1 });
    state.apply({ op: "confirm", uid: "u", restartCount: 0, tokenAccessor: "t0", at: 2 });
    const refused = state.apply({ op: "beginIssuing", ...pod, restartCount: 0, generation: 1, at: 3 });
    expect(refused.ok === false && refused.reason).toContain("only a confirmed sidecar is re-issued");
  });

  test("superseded tokens are bounded to the newest ones", () => {
    const state = confirmedSidecar();
    for (let generation = 1; generation <= SUPERSEDED_ACCESSORS_KEPT + 5; generation++) {
      state.apply({ op: "beginIssuing", ...pod, restartCount: 0, generation, at: generation * 10 });
      state.apply({
        op: "confirm",
        uid: "u",
        restartCount: 0,
        generation,
        tokenAccessor: `t${generation}`,
        at: 1,
      });
    }
    const superseded = state.get("u")?.supersededTokenAccessors ?? [];
    expect(superseded).toHaveLength(SUPERSEDED_ACCESSORS_KEPT);
    expect(superseded.at(-1)).toBe(`t${SUPERSEDED_ACCESSORS_KEPT + 4}`);
  });
});
