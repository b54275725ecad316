/**
 * Issue 4's resilience tests in one sandbox with one compiled controller watching two namespaces by name
 * (WATCH_NAMESPACES): a pod elsewhere is ignored; cut watches and forced 410s; a 10 s Vault outage; SIGTERM with a push in flight; a
 * successor controller serving a pod created while none ran; and no minted value in any captured log or Event.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { killAllStarted } from "../../support/processes.ts";
import { waitFor } from "../../support/wait.ts";
import { expectNoLeaks, failureTracking, uidOf } from "../helpers.ts";
import { type Harness, type Json, startHarness } from "../support.ts";
import type { SuiteTarget } from "./delivery.ts";

setDefaultTimeout(180_000);

export function resilienceSuite(target: SuiteTarget): void {
  const { check, cleanUp } = failureTracking();
  const HANGING_INIT = resolve(import.meta.dir, "../fixtures/hanging-init.ts");
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      name: `resilience-${target.backend}`,
      podIpPrefix: target.podIpPrefix,
      controllerIp: target.controllerIp,
      backend: target.backend,
      // Plain names: one watch per namespace, so cuts and 410s hit several watches at once.
      controllerEnv: { WATCH_NAMESPACES: "team-a,team-b" },
    });
    await harness.startController();
  });

  afterAll(async () => {
    await harness?.stop();
    killAllStarted();
    cleanUp(harness);
  });

  describe(`the compiled controller through outages and restarts (${target.backend})`, () => {
    check("WATCH_NAMESPACES: a pod in another namespace is not looked at", async () => {
      const outside = await harness.createPod("team-c", "unwatched", "demo-app");
      await waitFor("the unwatched pod's init container to run", async () => {
        const status = (await harness.getPod("team-c", "unwatched")).status as Json | undefined;
        const init = (status?.initContainerStatuses as Json[] | undefined)?.[0];
        return (init?.state as Json | undefined)?.running !== undefined;
      });
      // Created after the team-c pod ran: by the time it is served, a watched team-c pod would have its refusal.
      await harness.createPod("team-a", "watched", "demo-app");
      await harness.waitServed("team-a", "watched");
      expect(await harness.events("team-c", "unwatched")).toEqual([]);
      expect(harness.mintsFor(uidOf(outside))).toHaveLength(0);
    });

    check("a cut watch and a forced 410: every pod created around them is served", async () => {
      const names: string[] = [];
      const create = async (count: number, label: string) => {
        const batch = Array.from({ length: count }, (_, i) => `${label}-${i}`);
        names.push(...batch);
        await Promise.all(batch.map((name) => harness.createPod("team-a", name, "demo-app")));
      };
      await create(3, "before-cut");
      harness.sandbox.kube.cutWatches();
      await create(3, "after-cut");
      await harness.sandbox.kube.compactAll();
      harness.sandbox.kube.cutWatches();
      await create(3, "after-410");
      await harness.sandbox.kube.compactAll();
      await create(3, "after-second-410");
      for (const name of names) await harness.waitServed("team-a", name);
      expect(names).toHaveLength(12);
      expect(harness.controller().exitCode()).toBeNull();
    });

    check(
      "Vault stopped for 10 s: every pod is served once it is back, and the controller keeps running",
      async () => {
        const controller = harness.controller();
        await harness.sandbox.vault.setOnline(false);
        const stoppedAt = Date.now();
        const names = Array.from({ length: 5 }, (_, i) => `outage-${i}`);
        try {
          await Promise.all(names.map((name) => harness.createPod("team-b", name, "demo-batch")));
          // The outage lasts 10 s, and it must have been felt: every pod was refused at least once.
          for (const name of names) {
            const event = await harness.waitForEvent("team-b", name, "VaultUnavailable");
            expect(event.type).toBe("Warning");
          }
          await waitFor("the 10 s outage to elapse", () => Date.now() - stoppedAt >= 10_000, 30_000, 100);
          expect(controller.exitCode()).toBeNull();
        } finally {
          await harness.sandbox.vault.setOnline(true);
        }
        for (const name of names) await harness.waitServed("team-b", name);
        expect(controller.exitCode()).toBeNull();
        expect(controller.pid).toBe(harness.controller().pid);
      },
    );

    check(
      "SIGTERM while a push hangs: the controller stops within the shutdown bound and exits 0",
      async () => {
        // An init that takes the push and never answers keeps it in flight until the controller gives up on it.
        const markers = join(harness.dir, "hanging-init");
        mkdirSync(markers, { recursive: true });
        await harness.createPod("team-a", "hanging", "demo-app", {
          initCommand: ["env", `HANGING_INIT_MARKER_DIR=${markers}`, process.execPath, HANGING_INIT],
        });
        await waitFor("the push to reach the hanging init", () => readdirSync(markers).length > 0);
        const controller = harness.controller();
        const signalledAt = Date.now();
        controller.signal("SIGTERM");
        const code = await Promise.race([
          controller.exited(),
          new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000)),
        ]);
        expect(code).toBe(0);
        // The drain bound is 10 s (lib/controller/defaults.ts SHUTDOWN_DRAIN_MS); the rest is closing down.
        expect(Date.now() - signalledAt).toBeLessThan(20_000);
        expect(controller.output()).toContain("in-flight pushes did not finish within the shutdown bound");
        expect(controller.output()).toContain('"msg":"stopped"');
        await harness.deletePod("team-a", "hanging");
      },
    );

    check(
      "a pod created while the controller is down is served by the next one, and served pods are left alone",
      async () => {
        expect(harness.controller().exitCode()).toBe(0);
        const mintedBefore = harness.sandbox.vault.stats.mintedSecretIds().length;
        const pod = await harness.createPod("team-b", "while-down", "demo-batch");
        await harness.startController();
        await harness.waitServed("team-b", "while-down");
        const mintedSince = harness.sandbox.vault.stats.mintedSecretIds().slice(mintedBefore);
        expect(mintedSince.map((mint) => mint.metadata.uid)).toEqual([uidOf(pod)]);
        const controller = harness.controller();
        controller.signal("SIGTERM");
        expect(await controller.exited()).toBe(0);
      },
    );

    check("no minted value appears in any captured log or Event", async () => {
      await expectNoLeaks(harness, ["team-a", "team-b"], { logFiles: 18, secrets: 50, events: 18 });
    });
  });
}
