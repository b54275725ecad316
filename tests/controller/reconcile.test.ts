// reconcile(uid) against fakes: eligibility, allow-list, Vault refusals, pushes, init restarts and deletion.
import { describe, expect, test } from "bun:test";
import { createReconciler } from "../../lib/controller/reconcile/index.ts";
import { TerminalError } from "../../lib/controller/support/errors.ts";
import { FakeVaultError, fakeWorld, podWith } from "./support/fakes.ts";
import { settle } from "./support/manual-clock.ts";

describe("reconcile", () => {
  test("a running init container of an allowed pod gets one bound, wrapped secret_id and a Normal event", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    const reconcile = createReconciler(world.deps);
    world.clock.advance(0);
    expect(await reconcile("uid-1")).toEqual({});
    expect(world.minted).toEqual([
      {
        role: "web",
        wrapTtl: 60,
        request: {
          metadata: { namespace: "team-a", pod: "web-0", uid: "uid-1", serviceAccount: "web-sa" },
          cidrList: ["127.1.0.5/32"],
          numUses: 1,
          ttlSeconds: 120,
        },
      },
    ]);
    expect(world.pushes).toHaveLength(1);
    expect(world.pushes[0]?.podIp).toBe("127.1.0.5");
    expect(world.pushes[0]?.request).toMatchObject({
      token: "s.wrapping-1",
      ttl: 60,
      vaultAddr: "https://vault.test:8200",
      vaultCAs: null,
    });
    const entry = world.deps.ledger.get("uid-1");
    expect(entry).toMatchObject({
      state: "confirmed",
      restartCount: 0,
      tokenAccessor: "tok-acc-1",
      secretIdAccessor: "sid-acc-1",
    });
    expect(world.events.map((e) => e.reason)).toEqual(["VaultTokenDelivered"]);
    expect(world.counters.get("secretIdRequested:web")).toBe(1);
    expect(world.counters.get("pushed:web")).toBe(1);
    expect(world.counters.get("inFlight")).toBe(0);
    expect(world.latencies).toHaveLength(1);
    expect(world.logs.join("\n")).not.toContain("s.wrapping-1");
  });

  test("a delivery costs two ledger commits (issuing, confirmed): no pushed commit", async () => {
    const world = fakeWorld();
    for (const uid of ["p1", "p2", "p3"]) world.pods.set(uid, podWith({ uid, name: uid }));
    const reconcile = createReconciler(world.deps);
    for (const uid of ["p1", "p2", "p3"]) await reconcile(uid);
    expect(world.commands.map((command) => command.op)).toEqual([
      "beginIssuing",
      "confirm",
      "beginIssuing",
      "confirm",
      "beginIssuing",
      "confirm",
    ]);
  });

  test("a failed push records the minted secret_id's accessor with failed, in the same commit", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "failed", retry: true, reason: "init answered HTTP 502: unwrap-failed" });
    await createReconciler(world.deps)("uid-1").catch(() => {});
    expect(world.commands.map((command) => command.op)).toEqual(["beginIssuing", "markFailed"]);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({ state: "failed", secretIdAccessor: "sid-acc-1" });
  });

  test("running reconcile twice never issues twice", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1");
    await reconcile("uid-1");
    await reconcile("uid-1");
    expect(world.minted).toHaveLength(1);
    expect(world.pushes).toHaveLength(1);
  });

  test("a restarted init container gets a new issuance; the old token is kept for revocation", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({ restartCount: 0 }));
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1");
    world.pods.set("uid-1", podWith({ restartCount: 1 }));
    world.answerPushes({ kind: "delivered", tokenAccessor: "tok-acc-2" });
    await reconcile("uid-1");
    await reconcile("uid-1");
    expect(world.minted).toHaveLength(2);
    expect(world.deps.ledger.get("uid-1")).toMatchObject({
      restartCount: 1,
      state: "confirmed",
      tokenAccessor: "tok-acc-2",
      secretIdAccessor: "sid-acc-2",
      supersededTokenAccessors: ["tok-acc-1"],
    });
  });

  test("pods that are not ours, not yet running, or finished are left alone", async () => {
    const world = fakeWorld();
    const reconcile = createReconciler(world.deps);
    world.pods.set("a", podWith({ uid: "a", annotations: {} }));
    world.pods.set("b", podWith({ uid: "b", initState: "waiting" }));
    world.pods.set("c", podWith({ uid: "c", initState: "terminated" }));
    world.pods.set("d", podWith({ uid: "d", initState: "absent" }));
    for (const uid of ["a", "b", "c", "d", "missing"]) expect(await reconcile(uid)).toEqual({});
    expect(world.minted).toHaveLength(0);
    expect(world.events).toHaveLength(0);
  });

  test("a pod without an IP yet is looked at again soon", async () => {
    const world = fakeWorld();
    const pod = podWith({});
    if (pod.status) pod.status.podIP = undefined;
    world.pods.set("uid-1", pod);
    const result = await createReconciler(world.deps)("uid-1");
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    expect(world.minted).toHaveLength(0);
  });

  test("a role outside the allow-list: Warning naming the setting, no secret_id, no retry", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({ namespace: "team-b", role: "db" }));
    const error = await createReconciler(world.deps)("uid-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalError);
    expect(world.minted).toHaveLength(0);
    expect(world.events).toHaveLength(1);
    expect(world.events[0]?.reason).toBe("VaultRoleNotAllowed");
    expect(world.events[0]?.message).toContain('no secret_id for AppRole "db"');
    expect(world.events[0]?.message).toContain('service account "web-sa" in namespace "team-b"');
    expect(world.events[0]?.message).toContain('add "team-b/web-sa: db" to ALLOWED_ROLES');
  });

  test("an invalid annotation: InvalidVaultAnnotation event and a TerminalError", async () => {
    const world = fakeWorld();
    world.pods.set(
      "uid-1",
      podWith({
        annotations: {
          "pod.boostport.com/vault-approle": "web",
          "pod.boostport.com/vault-init-container": "Not_A_Container",
        },
      }),
    );
    const error = await createReconciler(world.deps)("uid-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalError);
    expect(world.events[0]?.reason).toBe("InvalidVaultAnnotation");
    expect(world.events[0]?.message).toContain("pod.boostport.com/vault-init-container");
    expect(world.events[0]?.message).not.toContain("\n");
  });

  test("Vault's 403 becomes a Warning carrying Vault's own message, and is retried", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.failMinting(new FakeVaultError(403, ["permission denied"]));
    const reconcile = createReconciler(world.deps);
    const error = await reconcile("uid-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TerminalError);
    expect(world.events[0]?.reason).toBe("VaultSecretIdDenied");
    expect(world.events[0]?.message).toContain("(HTTP 403): permission denied");
    expect(world.counters.get("secretIdRequestFailed:web")).toBe(1);
    expect(world.deps.ledger.get("uid-1")?.state).toBe("failed");
    world.failMinting(undefined);
    await reconcile("uid-1");
    expect(world.deps.ledger.get("uid-1")?.state).toBe("confirmed");
  });

  test("Vault unreachable: VaultUnavailable event and a retry", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.failMinting(new Error("connect ECONNREFUSED 127.0.0.1:8200"));
    await expect(createReconciler(world.deps)("uid-1")).rejects.toThrow("ECONNREFUSED");
    expect(world.events[0]?.reason).toBe("VaultUnavailable");
  });

  test("a failed push is a Warning with the reason and is retried with a fresh secret_id", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "failed", retry: true, reason: "init answered HTTP 502: unwrap-failed" });
    const reconcile = createReconciler(world.deps);
    await expect(reconcile("uid-1")).rejects.toThrow("unwrap-failed");
    expect(world.events[0]?.reason).toBe("VaultPushFailed");
    expect(world.events[0]?.message).toContain("init answered HTTP 502: unwrap-failed");
    expect(world.deps.ledger.get("uid-1")?.state).toBe("failed");
    expect(world.counters.get("pushFailed:web")).toBe(1);
    world.answerPushes({ kind: "delivered", tokenAccessor: "t" });
    await reconcile("uid-1");
    expect(world.minted).toHaveLength(2);
    expect(world.pushes[1]?.request.token).toBe("s.wrapping-2");
    expect(world.deps.ledger.get("uid-1")?.state).toBe("confirmed");
  });

  test("a push the init refuses for good is terminal", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({
      kind: "failed",
      retry: false,
      reason: "init answered HTTP 403: vault-addr-mismatch",
    });
    await expect(createReconciler(world.deps)("uid-1")).rejects.toBeInstanceOf(TerminalError);
  });

  test("push latency runs from the first time the init was seen running to the confirmation", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "failed", retry: true, reason: "connection refused" });
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1").catch(() => {});
    world.clock.advance(1500);
    world.answerPushes({ kind: "delivered" });
    await reconcile("uid-1");
    expect(world.latencies).toEqual([1.5]);
  });

  test("a deleted pod's tokens are revoked by accessor, then the entry is forgotten", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1");
    world.pods.delete("uid-1");
    await reconcile("uid-1");
    expect(world.revoked).toEqual(["tok-acc-1"]);
    expect(world.events.map((e) => e.reason)).toEqual(["VaultTokenDelivered", "VaultTokenRevoked"]);
    expect(world.deps.ledger.get("uid-1")).toBeUndefined();
  });

  test("a pod deleted mid-delivery has its unused secret_id destroyed", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "failed", retry: true, reason: "connection refused" });
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1").catch(() => {});
    world.pods.delete("uid-1");
    await reconcile("uid-1");
    expect(world.destroyed).toEqual(["sid-acc-1"]);
    expect(world.revoked).toEqual([]);
    expect(world.deps.ledger.get("uid-1")).toBeUndefined();
  });

  test("REVOKE_ON_DELETE=false forgets without revoking", async () => {
    const world = fakeWorld();
    world.deps.settings.revokeOnDelete = false;
    world.pods.set("uid-1", podWith({}));
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1");
    world.pods.delete("uid-1");
    await reconcile("uid-1");
    expect(world.revoked).toEqual([]);
    expect(world.deps.ledger.get("uid-1")).toBeUndefined();
  });

  test("a 403 on revoke is warned about once, counted every time, and cleanup carries on", async () => {
    const world = fakeWorld();
    const reconcile = createReconciler(world.deps);
    for (const uid of ["p1", "p2"]) {
      world.pods.set(uid, podWith({ uid, name: uid }));
      await reconcile(uid);
    }
    world.failRevoking(new FakeVaultError(403, ["permission denied"]));
    for (const uid of ["p1", "p2"]) {
      world.pods.delete(uid);
      await reconcile(uid);
      expect(world.deps.ledger.get(uid)).toBeUndefined();
    }
    expect(world.counters.get("revocationForbidden")).toBe(2);
    const warnings = world.logs.filter((line) => line.includes("refused to revoke"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("auth/token/revoke-accessor");
  });

  test("Vault unreachable during revoke keeps the entry so the queue retries", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    const reconcile = createReconciler(world.deps);
    await reconcile("uid-1");
    world.pods.delete("uid-1");
    world.failRevoking(new Error("ECONNREFUSED"));
    await expect(reconcile("uid-1")).rejects.toThrow("revoking the token of deleted pod team-a/web-0");
    expect(world.deps.ledger.get("uid-1")).toBeDefined();
    world.failRevoking(undefined);
    await reconcile("uid-1");
    expect(world.deps.ledger.get("uid-1")).toBeUndefined();
  });

  test("losing leadership mid-push lets the sent push finish and counts it; a deposed leader's confirm fails", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.deps.pusher = {
      async push(_ip, _request, signal) {
        world.leader.setLeader(false, "test");
        expect(signal.aborted).toBe(false);
        return { kind: "delivered", tokenAccessor: "t" };
      },
    };
    const ledger = world.deps.ledger;
    world.deps.ledger = {
      ...ledger,
      confirm: async () => {
        throw new Error("this controller is not the leader");
      },
    };
    await expect(createReconciler(world.deps)("uid-1")).rejects.toThrow("not the leader");
    expect(world.counters.get("pushed:web")).toBe(1);
    expect(world.latencies).toHaveLength(1);
    expect(world.events.filter((e) => e.reason === "VaultPushFailed")).toHaveLength(0);
    expect(world.logs.some((line) => line.includes("leadership was lost before the confirmation"))).toBe(
      true,
    );
  });

  test("no push starts once leadership is lost", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    const originalMint = world.deps.vault.createWrappedSecretId;
    world.deps.vault.createWrappedSecretId = async (...args) => {
      const minted = await originalMint(...args);
      world.leader.setLeader(false, "test");
      return minted;
    };
    await expect(createReconciler(world.deps)("uid-1")).rejects.toThrow("leadership lost");
    expect(world.pushes).toHaveLength(0);
    expect(world.events.filter((e) => e.reason === "VaultPushFailed")).toHaveLength(0);
  });
});

describe("start-up races with the init container", () => {
  test("a refused connection is pushed again with the same wrapping token after a few ms, no new secret_id", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "failed", retry: true, reason: "ECONNREFUSED", unreached: true });
    const done = createReconciler(world.deps)("uid-1");
    await settle(50);
    expect(world.pushes).toHaveLength(1);
    world.clock.advance(5);
    await settle(50);
    expect(world.pushes).toHaveLength(2);
    world.answerPushes({ kind: "delivered", tokenAccessor: "t" });
    world.clock.advance(10);
    await done;
    expect(world.pushes).toHaveLength(3);
    expect(new Set(world.pushes.map((p) => p.request.token)).size).toBe(1);
    expect(world.minted).toHaveLength(1);
    expect(world.events.filter((e) => e.reason === "VaultPushFailed")).toHaveLength(0);
    expect(world.deps.ledger.get("uid-1")?.state).toBe("confirmed");
  });

  test("re-pushing one token stops after its bounded schedule, then fails for a fresh secret_id", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    world.answerPushes({ kind: "failed", retry: true, reason: "ECONNREFUSED", unreached: true });
    const done = createReconciler(world.deps)("uid-1");
    for (let i = 0; i < 20; i++) {
      await settle(50);
      world.clock.advance(400);
    }
    await expect(done).rejects.toThrow("ECONNREFUSED");
    expect(world.pushes).toHaveLength(8);
    expect(world.minted).toHaveLength(1);
    expect(world.events.filter((e) => e.reason === "VaultPushFailed")).toHaveLength(1);
  });

  test("an init not listening yet is rechecked soon, silently, and nothing is minted", async () => {
    const world = fakeWorld();
    world.pods.set("uid-1", podWith({}));
    let listening = false;
    world.deps.pusher.listening = async () =>
      listening ? { listening: true } : { listening: false, reason: "nothing listens" };
    const reconcile = createReconciler(world.deps);
    const first = await reconcile("uid-1");
    expect(first.requeueAfterMs).toBeGreaterThanOrEqual(5);
    expect(first.requeueAfterMs).toBeLessThanOrEqual(250);
    world.clock.advance(4_000);
    expect((await reconcile("uid-1")).requeueAfterMs).toBe(250);
    expect(world.minted).toHaveLength(0);
    expect(world.events).toHaveLength(0);
    world.clock.advance(7_000);
    await expect(reconcile("uid-1")).rejects.toThrow("init not listening yet");
    expect(world.events[0]?.reason).toBe("VaultPushFailed");
    listening = true;
    await reconcile("uid-1");
    expect(world.deps.ledger.get("uid-1")?.state).toBe("confirmed");
    expect(world.latencies.at(-1)).toBeGreaterThanOrEqual(11);
  });
});

test("push latency starts when the informer delivered the pod, so time queued behind other pods counts", async () => {
  const world = fakeWorld();
  world.pods.set("uid-1", podWith({}));
  const deliveredAt = world.clock.now();
  world.deps.pods = { get: (uid) => world.pods.get(uid), changedAt: () => deliveredAt };
  world.clock.advance(3_000);
  await createReconciler(world.deps)("uid-1");
  expect(world.latencies).toEqual([3]);
});
