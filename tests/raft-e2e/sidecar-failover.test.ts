/**
 * Native-sidecar mode (issue 15) against 3 compiled controllers and real compiled inits run by the kubelet stand-in,
 * with the leader SIGKILLed in the middle of a re-issue, at the two moments that matter:
 * - as Vault mints the re-issue's secret_id (the leader never learns it): the survivors mint once more for the same
 *   generation and deliver that one, so the pod logs in exactly once for the generation; the orphan is never
 *   unwrapped;
 * - as the sidecar logs in with the re-issued secret_id (the leader dies before the confirmation): the survivors find
 *   the sidecar already holding the generation (GET /status) and confirm it without minting again.
 * Throughout, the token on disk is never past its lease and Vault accepts it. The kill is synchronous, from inside the
 * in-process Vault stand-in's request, so it lands inside the re-issue every time.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import type { IssuedSecretKind } from "../../sim/vault/index.ts";
import { waitFor } from "../support/wait.ts";
import type { ControllerReplica } from "./controllers.ts";
import { createPod, loginsByAddress, mintsFor, NAMESPACE, podStatus, ROLE } from "./pods.ts";
import { type RaftRig, startRaftRig } from "./rig.ts";

setDefaultTimeout(240_000);

/** Renewals at ~2/3 of 10 s; the max TTL cuts the second one short, so the sidecar reports "expiring" at ~13 s. */
const TOKEN_TTL = "10s";
const TOKEN_MAX_TTL = "20s";
/** Capped by the controller at 1/4 of the 10 s lease (2.5 s); the token still has ~6 s when the re-issue starts. */
const REISSUE_MARGIN = "3s";

let rig: RaftRig;
let vaultRoot: ApiCaller;

beforeAll(async () => {
  rig = await startRaftRig({
    name: "sidecar-failover",
    podIpPrefix: "127.71",
    fleetPodIpPrefix: "127.72",
    controllerPrefix: "127.0.71",
    controllerEnv: { SIDECAR_REISSUE_MARGIN: REISSUE_MARGIN },
  });
  const vault = rig.sandbox.description.vault;
  vaultRoot = new ApiCaller(`${vault.addr}/v1/`, rig.sandbox.vault.caPem, {
    "X-Vault-Token": vault.rootToken,
  });
  await vaultRoot.call("POST", `auth/approle/role/${ROLE}`, {
    token_ttl: TOKEN_TTL,
    token_max_ttl: TOKEN_MAX_TTL,
  });
  await rig.cluster.leader();
});

afterAll(async () => {
  await rig?.stop();
});

interface TokenOnDisk {
  clientToken: string;
  leaseDuration: number;
  writtenAtMs: number;
}

function tokenOnDisk(name: string): TokenOnDisk | undefined {
  const volume = rig.sandbox.kubelet.volumeDirFor(NAMESPACE, name, "vault-token");
  if (!volume) return undefined;
  const path = join(volume, "vault-token");
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as {
      clientToken?: unknown;
      leaseDuration?: unknown;
    };
    if (typeof parsed.clientToken !== "string" || typeof parsed.leaseDuration !== "number") return undefined;
    const { mtimeMs } = statSync(path);
    return { clientToken: parsed.clientToken, leaseDuration: parsed.leaseDuration, writtenAtMs: mtimeMs };
  } catch {
    return undefined;
  }
}

async function vaultAccepts(token: string): Promise<boolean> {
  const vault = rig.sandbox.description.vault;
  const asPod = new ApiCaller(`${vault.addr}/v1/`, rig.sandbox.vault.caPem, { "X-Vault-Token": token });
  return asPod.call("GET", "auth/token/lookup-self").then(
    () => true,
    () => false,
  );
}

function unwrapsFrom(address: string): number {
  return rig.sandbox.vault.stats.requests.filter(
    (r) =>
      r.path.replace(/^\/?(v1\/)?/, "") === "sys/wrapping/unwrap" &&
      r.status === 200 &&
      r.remoteAddress.replace(/^::ffff:/, "") === address,
  ).length;
}

/**
 * Kills `replica` with SIGKILL from inside a Vault request of the next re-issue: "mint" as the secret_id is created
 * (before Vault answers), "login" as the pod's AppRole login creates its token. A wrapped mint creates the secret_id,
 * then its wrapping token; the login's token is the one after those two.
 */
function killDuringReissue(at: "mint" | "login", replica: ControllerReplica): { fired: () => boolean } {
  let fired = false;
  const sequence: IssuedSecretKind[] = [];
  const unsubscribe = rig.sandbox.vault.stats.onSecretIssued((issued) => {
    if (fired) return;
    sequence.push(issued);
    const due = at === "mint" ? issued === "secret-id" : sequence.join(",") === "secret-id,token,token";
    if (!due) return;
    fired = true;
    unsubscribe();
    process.kill(replica.process().pid, "SIGKILL");
  });
  return { fired: () => fired };
}

/**
 * Watches one pod's token file until a token other than `first` lands there, checking every sample that the file's
 * token is within its lease and that Vault accepts it.
 */
async function watchUntilReplaced(name: string, first: string) {
  const problems: string[] = [];
  const seen = new Set<string>([first]);
  const replaced = await waitFor(
    `${name}'s token re-issued`,
    async () => {
      const now = Date.now();
      const onDisk = tokenOnDisk(name);
      if (!onDisk) return undefined;
      seen.add(onDisk.clientToken);
      if (now > onDisk.writtenAtMs + onDisk.leaseDuration * 1000) problems.push(`past its lease at ${now}`);
      if (!(await vaultAccepts(onDisk.clientToken)) && tokenOnDisk(name)?.clientToken === onDisk.clientToken)
        problems.push(`refused by Vault at ${now}`);
      return onDisk.clientToken !== first ? onDisk : undefined;
    },
    90_000,
    200,
  );
  return { replaced, problems, tokensSeen: seen.size };
}

async function servedSidecar(name: string) {
  await createPod(rig.sandbox, rig.kube, name, undefined, { sidecar: true });
  const first = await waitFor(`${name}'s first token on disk`, () => tokenOnDisk(name), 60_000, 100);
  const pod = await podStatus(rig.kube, name);
  const uid = String(pod.metadata?.uid);
  const podIp = String(pod.status?.podIP);
  expect(mintsFor(rig.sandbox, uid)).toBe(1);
  expect(loginsByAddress(rig.sandbox).get(podIp)).toBe(1);
  return { first, uid, podIp };
}

async function restartKilled(replica: ControllerReplica): Promise<void> {
  await replica.process().exited();
  await replica.start();
  await rig.cluster.leader();
}

async function deletePod(name: string): Promise<void> {
  await rig.kube.call("DELETE", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`);
  await waitFor(
    `${name} gone`,
    () =>
      rig.kube.call("GET", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`).then(
        () => undefined,
        () => true,
      ),
    60_000,
    200,
  );
}

describe("native sidecar, leader SIGKILLed during a re-issue", () => {
  test("killed as Vault mints the re-issue: one more mint, one login for the generation, the orphan never unwrapped", async () => {
    const { first, uid, podIp } = await servedSidecar("sidecar-kill-at-mint");
    const leader = await rig.cluster.leader();
    const trap = killDuringReissue("mint", leader);
    const watched = await watchUntilReplaced("sidecar-kill-at-mint", first.clientToken);
    expect(trap.fired()).toBe(true);
    expect(watched.problems).toEqual([]);
    expect(watched.tokensSeen).toBe(2);
    // The orphan (minted for the dead leader) and the survivors' own, for the same generation; one delivered.
    expect(mintsFor(rig.sandbox, uid)).toBe(3);
    expect(loginsByAddress(rig.sandbox).get(podIp)).toBe(2);
    expect(unwrapsFrom(podIp)).toBe(2);
    expect(await vaultAccepts(watched.replaced.clientToken)).toBe(true);
    await restartKilled(leader);
    await deletePod("sidecar-kill-at-mint");
    // The sidecar revoked its token on SIGTERM (and the controller revoked the pod's tokens).
    expect(await vaultAccepts(watched.replaced.clientToken)).toBe(false);
  });

  test("killed as the sidecar logs in with the re-issued secret_id: confirmed from its status, no second mint", async () => {
    const { first, uid, podIp } = await servedSidecar("sidecar-kill-at-login");
    const leader = await rig.cluster.leader();
    const killedAt = Date.now();
    const trap = killDuringReissue("login", leader);
    const watched = await watchUntilReplaced("sidecar-kill-at-login", first.clientToken);
    expect(trap.fired()).toBe(true);
    expect(watched.problems).toEqual([]);
    const survivors = rig.cluster.replicas.filter((replica) => replica !== leader);
    await waitFor(
      "a survivor to confirm the interrupted generation from the sidecar's status",
      () =>
        survivors.some((replica) =>
          replica
            .lines()
            .some(
              (line) =>
                Date.parse(line.time) > killedAt &&
                line.msg === "the sidecar already held the interrupted generation; confirmed without minting",
            ),
        ),
      60_000,
      200,
    );
    expect(mintsFor(rig.sandbox, uid)).toBe(2);
    expect(loginsByAddress(rig.sandbox).get(podIp)).toBe(2);
    await restartKilled(leader);
    await deletePod("sidecar-kill-at-login");
  });
});
