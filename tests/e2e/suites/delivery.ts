/**
 * Issue 4's delivery tests in one sandbox with one compiled controller: a delivery and its evidence in Vault, 100
 * pods in 3 namespaces, an init that never listens, refusals (allow-list and Vault's 403), an init restart,
 * revocation on delete, and finally no minted value in any captured log or Event.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SandboxBackend } from "../../../sim/sandbox/index.ts";
import { SANDBOX_ALLOW_LIST } from "../../../sim/sandbox/provision.ts";
import { killAllStarted } from "../../support/processes.ts";
import { waitFor } from "../../support/wait.ts";
import { expectNoLeaks, failureTracking, uidOf } from "../helpers.ts";
import { type Harness, type Json, startHarness } from "../support.ts";

/** Where a suite runs: the backend and this run's own loopback addresses (two runs must not share them). */
export interface SuiteTarget {
  backend: SandboxBackend;
  /** Two octets for pods, e.g. "127.41". */
  podIpPrefix: string;
  controllerIp: string;
}

setDefaultTimeout(180_000);

export function deliverySuite(target: SuiteTarget): void {
  const { check, cleanUp } = failureTracking();
  let harness: Harness;
  let silentPodUid = "";
  /** Both client tokens of the pod whose init container restarted: deleting it must revoke both. */
  const restartedPodTokens: string[] = [];

  /** A third namespace beside the sandbox's team-a and team-b, allowed for one service account only. */
  const ALLOW_LIST = `${SANDBOX_ALLOW_LIST}team-d/batch-runner: demo-batch\n`;

  beforeAll(async () => {
    harness = await startHarness({
      name: `delivery-${target.backend}`,
      podIpPrefix: target.podIpPrefix,
      controllerIp: target.controllerIp,
      backend: target.backend,
      controllerEnv: { ALLOWED_ROLES: ALLOW_LIST },
    });
    // team-d's pods run as batch-runner: a real API server (and the stand-in) refuses pods whose account is missing.
    await harness.createNamespace("team-d", ["batch-runner"]);
    await harness.startController();
    // An init container that runs but never listens; checked after the 100-pod test, when its grace is long over.
    silentPodUid = uidOf(
      await harness.createPod("team-a", "silent", "demo-app", { initCommand: ["sleep", "600"] }),
    );
  });

  afterAll(async () => {
    await harness?.stop();
    killAllStarted();
    cleanUp(harness);
  });

  describe(`the compiled controller in the sandbox (${target.backend})`, () => {
    check(
      "a pod gets its token file, Vault accepts the token, and the secret_id was bound to the pod",
      async () => {
        const pod = await harness.createPod("team-a", "single", "demo-app", { serviceAccount: "web" });
        const uid = uidOf(pod);
        const token = await harness.waitServed("team-a", "single");
        const podIp = await harness.podIp("team-a", "single");

        expect(token.vaultAddr).toBe(harness.sandbox.description.vault.addr);
        const lookup = await harness.lookupSelf(token.clientToken);
        expect(lookup).toMatchObject({ ok: true });
        if (lookup.ok) {
          expect(lookup.data.policies).toContain("demo-app");
          expect(lookup.data.accessor).toBe(token.accessor);
          expect(lookup.data.meta).toMatchObject({
            role_name: "demo-app",
            namespace: "team-a",
            pod: "single",
            uid,
            serviceAccount: "web",
          });
        }
        const delivered = await harness.waitForEvent("team-a", "single", "VaultTokenDelivered");
        expect(delivered.type).toBe("Normal");
        expect(delivered.involvedObject.uid).toBe(uid);

        const mints = harness.mintsFor(uid);
        expect(mints).toHaveLength(1);
        expect(mints[0]).toMatchObject({
          role: "demo-app",
          metadata: { namespace: "team-a", pod: "single", uid, serviceAccount: "web" },
          cidrList: [`${podIp}/32`],
          numUses: 1,
        });
        // num_uses 1, spent by the init's login: the secret_id no longer exists in Vault.
        await expect(
          harness.vaultRoot.call("POST", "auth/approle/role/demo-app/secret-id-accessor/lookup", {
            secret_id_accessor: mints[0]?.accessor ?? "",
          }),
        ).rejects.toThrow(/-> 404/);
      },
    );

    check("100 pods across 3 namespaces are all served, with exactly one secret_id each", async () => {
      const pods = Array.from({ length: 100 }, (_, i) => {
        const team = i % 3;
        if (team === 0) return { namespace: "team-a", name: `many-${i}`, role: "demo-app", sa: "default" };
        if (team === 1) return { namespace: "team-b", name: `many-${i}`, role: "demo-batch", sa: "default" };
        return { namespace: "team-d", name: `many-${i}`, role: "demo-batch", sa: "batch-runner" };
      });
      const uids = new Map<string, string>();
      // Created in waves: 100 compiled inits starting at once would only measure this 2-core machine's scheduler.
      const WAVE = 25;
      for (let start = 0; start < pods.length; start += WAVE) {
        const wave = pods.slice(start, start + WAVE);
        const created = await Promise.all(
          wave.map((p) => harness.createPod(p.namespace, p.name, p.role, { serviceAccount: p.sa })),
        );
        created.forEach((pod, i) => {
          const p = wave[i];
          if (p) uids.set(`${p.namespace}/${p.name}`, uidOf(pod));
        });
        await Promise.all(wave.map((p) => harness.waitForToken(p.namespace, p.name, 120_000)));
      }
      for (const namespace of ["team-a", "team-b", "team-d"]) {
        const delivered = await waitFor(`VaultTokenDelivered on every pod of ${namespace}`, async () => {
          const events = await harness.events(namespace);
          const served = new Set(
            events.filter((e) => e.reason === "VaultTokenDelivered").map((e) => e.involvedObject.name),
          );
          const expected = pods.filter((p) => p.namespace === namespace).map((p) => p.name);
          return expected.every((name) => served.has(name)) ? expected.length : undefined;
        });
        expect(delivered).toBeGreaterThanOrEqual(33);
        // An init that is not listening yet is normal at start-up: it must not alarm anyone with a Warning.
        const warnings = (await harness.events(namespace)).filter(
          (e) => e.type === "Warning" && e.involvedObject.name.startsWith("many-"),
        );
        expect(warnings.map((e) => `${e.involvedObject.name}: ${e.reason}: ${e.message}`)).toEqual([]);
      }
      for (const p of pods) {
        const minted = harness.mintsFor(uids.get(`${p.namespace}/${p.name}`) ?? "");
        expect({ pod: `${p.namespace}/${p.name}`, minted: minted.length }).toEqual({
          pod: `${p.namespace}/${p.name}`,
          minted: 1,
        });
        expect(minted[0]?.metadata.serviceAccount).toBe(p.sa);
      }
    });

    check(
      "an init container that never listens: a Warning saying so after the grace, and no secret_id",
      async () => {
        const event = await harness.waitForEvent("team-a", "silent", "VaultPushFailed", 90_000);
        expect(event.type).toBe("Warning");
        const podAddress = `${target.podIpPrefix.replaceAll(".", "\\.")}\\.\\d+\\.\\d+`;
        expect(event.message).toMatch(
          new RegExp(`has been running for \\d+ s but nothing listens on ${podAddress}:50000`),
        );
        expect(event.message).toContain("LISTEN_ADDRESS");
        expect(harness.mintsFor(silentPodUid)).toHaveLength(0);
      },
    );

    check(
      "a role the allow-list refuses: a Warning naming the setting, and no secret_id minted",
      async () => {
        const pod = await harness.createPod("team-c", "refused", "demo-app");
        const event = await harness.waitForEvent("team-c", "refused", "VaultRoleNotAllowed");
        expect(event.type).toBe("Warning");
        expect(event.message).toContain("ALLOWED_ROLES");
        expect(event.message).toContain('"demo-app"');
        expect(event.message).toContain("team-c");
        // A pod created afterwards is served, so the controller has long since decided about the refused one.
        await harness.createPod("team-a", "after-refused", "demo-app");
        await harness.waitServed("team-a", "after-refused");
        expect(harness.mintsFor(uidOf(pod))).toHaveLength(0);
        expect(
          harness.sandbox.vault.stats.mintedSecretIds().some((m) => m.metadata.namespace === "team-c"),
        ).toBe(false);
      },
    );

    check("a role the controller's Vault policy lacks: a Warning carrying Vault's 403 message", async () => {
      const pod = await harness.createPod("team-a", "unlisted", "unlisted-app");
      const event = await harness.waitForEvent("team-a", "unlisted", "VaultSecretIdDenied");
      expect(event.type).toBe("Warning");
      expect(event.message).toContain("HTTP 403");
      expect(event.message).toContain("permission denied");
      expect(event.message).toContain("auth/approle/role/unlisted-app/secret-id");
      // Retried with back-off, and the repeats aggregated into one Event rather than a stream of them.
      const aggregated = await waitFor("the refusal to be counted again on the same Event", async () => {
        const denied = (await harness.events("team-a", "unlisted")).filter(
          (e) => e.reason === "VaultSecretIdDenied",
        );
        return denied.length === 1 && (denied[0]?.count ?? 0) >= 2 ? denied : undefined;
      });
      expect(aggregated).toHaveLength(1);
      expect(harness.mintsFor(uidOf(pod))).toHaveLength(0);
      const volume = harness.sandbox.kubelet.volumeDirFor("team-a", "unlisted", "vault-token");
      expect(volume).toBeDefined();
      expect(existsSync(join(volume ?? "", "vault-token"))).toBe(false);
    });

    check("an init container that restarts gets a new issuance for its new run", async () => {
      // The real init, wrapped so that its first run exits 1 after writing the token: the kubelet restarts it.
      const marker = join(harness.dir, "restart-once.marker");
      const wrapper = join(harness.dir, "init-fails-once.sh");
      writeFileSync(
        wrapper,
        `#!/bin/sh\n"${harness.initBinary}" || exit $?\nif [ ! -e "${marker}" ]; then : > "${marker}"; exit 1; fi\n`,
        { mode: 0o755 },
      );
      const pod = await harness.createPod("team-b", "restarts", "demo-app", { initCommand: [wrapper] });
      const uid = uidOf(pod);
      const first = await harness.waitForToken("team-b", "restarts");
      const restarted = await waitFor("the init container's second run to finish", async () => {
        const status = (await harness.getPod("team-b", "restarts")).status as Json | undefined;
        const init = (status?.initContainerStatuses as Json[] | undefined)?.[0];
        const terminated = (init?.state as Json | undefined)?.terminated as Json | undefined;
        return init?.restartCount === 1 && terminated?.exitCode === 0 ? init : undefined;
      });
      expect(restarted.restartCount).toBe(1);
      const second = await harness.waitForToken("team-b", "restarts");
      expect(second.clientToken).not.toBe(first.clientToken);
      restartedPodTokens.push(first.clientToken, second.clientToken);
      expect(harness.mintsFor(uid)).toHaveLength(2);
      expect(await harness.lookupSelf(second.clientToken)).toMatchObject({ ok: true });
      const delivered = await waitFor("two deliveries recorded on the pod", async () => {
        const events = (await harness.events("team-b", "restarts")).filter(
          (e) => e.reason === "VaultTokenDelivered",
        );
        const messages = events.map((e) => e.message).join("\n");
        return messages.includes("init restart 0") && messages.includes("init restart 1")
          ? events
          : undefined;
      });
      expect(delivered.length).toBe(2);
    });

    check("deleting a served pod revokes its token", async () => {
      await harness.createPod("team-a", "deleted", "demo-app");
      const token = await harness.waitServed("team-a", "deleted");
      expect(await harness.lookupSelf(token.clientToken)).toMatchObject({ ok: true });
      await harness.deletePod("team-a", "deleted");
      const refused = await waitFor("Vault to refuse the deleted pod's token", async () => {
        const lookup = await harness.lookupSelf(token.clientToken);
        return lookup.ok ? undefined : lookup;
      });
      expect(refused).toEqual({ ok: false, status: 403 });
      await harness.waitForEvent("team-a", "deleted", "VaultTokenRevoked");

      // A pod whose init container restarted holds two tokens; both go.
      expect(restartedPodTokens).toHaveLength(2);
      for (const token of restartedPodTokens)
        expect(await harness.lookupSelf(token)).toMatchObject({ ok: true });
      await harness.deletePod("team-b", "restarts");
      const revoked = await harness.waitForEvent("team-b", "restarts", "VaultTokenRevoked");
      expect(revoked.message).toContain("revoked 2 Vault token(s)");
      for (const token of restartedPodTokens)
        expect(await harness.lookupSelf(token)).toEqual({ ok: false, status: 403 });
    });

    check("no minted value appears in any captured log or Event", async () => {
      const controller = harness.controller();
      controller.signal("SIGTERM");
      expect(await controller.exited()).toBe(0);
      // Tokens, wrapping tokens and secret_ids: at least three values per served pod; a log per pod at least.
      await expectNoLeaks(harness, ["team-a", "team-b", "team-c", "team-d"], {
        logFiles: 100,
        secrets: 300,
        events: 100,
      });
    });
  });
}
