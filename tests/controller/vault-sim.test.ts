// The controller core against the Vault stand-in (sim/vault) and a real init container (lib/init's runInit) on
// 127.6.0.x: token checks, a PKI client certificate, a delivered token Vault accepts, Vault's 403 on a pod,
// the allow-list, and revocation on delete.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllowList } from "../../lib/config/index.ts";
import {
  alwaysLeader,
  type CertificateKeeper,
  createController,
  createHttpsPusher,
  createMemoryLedger,
  type EventReason,
  noopControllerMetrics,
  type PodEventType,
  type PodView,
  pkiCertificateIssuer,
  policyFrom,
  ROOT_TOKEN_REFUSAL,
  seededRandom,
  startCertificateKeeper,
  startTokenKeeper,
  systemClock,
  TokenRefusedError,
  tokenVaultFrom,
  vaultOperationsFrom,
} from "../../lib/controller/index.ts";
import { runInit, vaultFromPod } from "../../lib/init/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { openVaultClient, VaultError } from "../../lib/vault/index.ts";
import {
  PKI_MOUNT,
  PKI_ROLE,
  type ProvisionedVault,
  provisionVault,
  SANDBOX_ALLOW_LIST,
} from "../../sim/sandbox/provision.ts";
import { startVaultSim, type VaultSim } from "../../sim/vault/index.ts";
import { waitFor } from "../support/wait.ts";

const INIT_PORT = 50000;
const quiet = createLogger("error");
let dir: string;
let vault: VaultSim;
let provisioned: ProvisionedVault;
let controllerVault: ReturnType<typeof openVaultClient>;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "controller-vault-sim-"));
  vault = await startVaultSim({ hostname: "127.6.0.1", dir });
  provisioned = await provisionVault(vault.addr, vault.caPem, vault.rootToken);
  controllerVault = openVaultClient({
    addr: vault.addr,
    token: provisioned.controllerToken,
    caPem: vault.caPem,
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  controllerVault?.close();
  await vault?.stop();
  await rm(dir, { recursive: true, force: true });
});

const keeperOptions = {
  clock: systemClock(),
  random: seededRandom(11),
  log: quiet,
  metrics: noopControllerMetrics,
};

describe("token keeper against the Vault stand-in", () => {
  test("accepts the provisioned periodic token and refuses the root token", async () => {
    const keeper = await startTokenKeeper({ ...keeperOptions, vault: tokenVaultFrom(controllerVault) });
    expect(keeper.token().periodSeconds).toBe(24 * 3600);
    expect(keeper.remainingTtlMs()).toBeGreaterThan(23 * 3600_000);
    keeper.stop();
    const root = openVaultClient({ addr: vault.addr, token: vault.rootToken, caPem: vault.caPem });
    const refusal = await startTokenKeeper({ ...keeperOptions, vault: tokenVaultFrom(root) }).catch(
      (e: unknown) => e,
    );
    root.close();
    expect(refusal).toBeInstanceOf(TokenRefusedError);
    expect((refusal as Error).message).toContain(ROOT_TOKEN_REFUSAL);
  });
});

function pod(uid: string, namespace: string, role: string, podIp: string): PodView {
  return {
    metadata: {
      uid,
      name: uid,
      namespace,
      annotations: {
        "pod.boostport.com/vault-approle": role,
        "pod.boostport.com/vault-init-container": "vault-init",
      },
    },
    spec: { serviceAccountName: "default" },
    status: {
      podIP: podIp,
      initContainerStatuses: [{ name: "vault-init", restartCount: 0, state: { running: {} } }],
    },
  };
}

describe("controller against the Vault stand-in and a real init container", () => {
  let certificates: CertificateKeeper;
  const events: { uid: string; reason: EventReason; message: string }[] = [];
  const handlers = new Set<(type: PodEventType, pod: PodView) => void>();
  const emit = (type: PodEventType, p: PodView) => {
    for (const handler of handlers) handler(type, p);
  };
  const served = pod("served", "team-a", "demo-app", "127.6.0.10");
  const ledger = createMemoryLedger();

  test("a pod's init container gets a token Vault accepts, bound to the pod", async () => {
    certificates = await startCertificateKeeper({
      ...keeperOptions,
      purpose: "push client certificate",
      issue: pkiCertificateIssuer(controllerVault, {
        mount: PKI_MOUNT,
        role: PKI_ROLE,
        commonName: "kubernetes-vault-controller",
        ttlSeconds: 3600,
      }),
    });
    cleanups.push(() => certificates.stop());
    expect(certificates.current().caPem).toContain(provisioned.pkiCaPem.trim().split("\n")[1] ?? "?");

    const podDir = join(dir, "served");
    let listening = false;
    const initExit = runInit(
      {
        roleId: provisioned.roleIds["demo-app"] ?? "",
        expectedRole: "demo-app",
        mode: "token",
        tokenPath: join(podDir, "vault-token"),
        credentialsDir: podDir,
        timeoutMs: 120_000,
        listen: { hostname: "127.6.0.10", port: INIT_PORT },
        podIp: "127.6.0.10",
        pinnedVaultAddr: undefined,
        vaultCaPem: undefined,
        controllerCaPem: provisioned.pkiCaPem,
        logLevel: "error",
      },
      {
        openVault: vaultFromPod("127.6.0.10"),
        log: quiet,
        writeText: () => {},
        onListening: () => (listening = true),
      },
    );
    await waitFor("the init container to listen", () => listening);

    const controller = createController({
      pods: {
        subscribe: (handler) => {
          handlers.add(handler);
          return () => void handlers.delete(handler);
        },
        list: () => [served],
        waitForSync: async () => {},
      },
      ledger,
      vault: vaultOperationsFrom(controllerVault),
      pusher: createHttpsPusher({ identity: () => certificates.current(), initPort: INIT_PORT }),
      events: { record: (p, reason, message) => events.push({ uid: p.uid, reason, message }) },
      metrics: noopControllerMetrics,
      policy: policyFrom(parseAllowList(SANDBOX_ALLOW_LIST, "ALLOWED_ROLES")),
      settings: {
        vaultAddr: vault.addr,
        vaultCaPem: vault.caPem,
        wrapTtlSeconds: 60,
        secretIdTtlSeconds: 120,
        cidrBinding: true,
        revokeOnDelete: true,
      },
      leader: alwaysLeader(),
      clock: systemClock(),
      random: seededRandom(12),
      log: quiet,
      workers: 4,
    });
    cleanups.push(async () => void (await controller.stop()));
    await controller.start();

    expect(await initExit).toBe(0);
    await waitFor("the delivery to be confirmed", () => ledger.get("served")?.state === "confirmed");
    const tokenFile = JSON.parse(await readFile(join(podDir, "vault-token"), "utf8"));
    expect(tokenFile.vaultAddr).toBe(vault.addr);
    expect(ledger.get("served")?.tokenAccessor).toBe(tokenFile.accessor);
    const asPod = openVaultClient({ addr: vault.addr, token: tokenFile.clientToken, caPem: vault.caPem });
    const lookup = await asPod.lookupSelf();
    expect(lookup.policies).toContain("demo-app");
    expect(events.filter((e) => e.uid === "served").map((e) => e.reason)).toEqual(["VaultTokenDelivered"]);
    expect(vault.stats.secretIdsMinted("demo-app")).toBe(1);

    // A role the allow-list grants but the controller's Vault policy does not: Vault's own 403 on the pod. The
    // controller mints only for an init that accepts connections, so something must listen at the pod's address.
    const deniedPodPort = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => deniedPodPort.listen(INIT_PORT, "127.6.0.11", resolve));
    cleanups.push(() => void deniedPodPort.close());
    emit("add", pod("denied-by-vault", "team-a", "unlisted-app", "127.6.0.11"));
    const vaultSaid = await waitFor("Vault's refusal event", () =>
      events.find((e) => e.uid === "denied-by-vault" && e.reason === "VaultSecretIdDenied"),
    );
    expect(vaultSaid.message).toContain("HTTP 403");
    expect(vaultSaid.message).toContain("permission denied");

    // A namespace the allow-list does not grant: refused before Vault is asked.
    emit("add", pod("denied-by-list", "team-c", "demo-app", "127.6.0.12"));
    const listSaid = await waitFor("the allow-list refusal event", () =>
      events.find((e) => e.uid === "denied-by-list" && e.reason === "VaultRoleNotAllowed"),
    );
    expect(listSaid.message).toContain("ALLOWED_ROLES");
    expect(vault.stats.secretIdsMinted("demo-app")).toBe(1);

    // Deleting the served pod revokes its token.
    emit("delete", served);
    await waitFor("the ledger entry to be forgotten", () => ledger.get("served") === undefined);
    const afterRevoke = await asPod.lookupSelf().catch((e: unknown) => e);
    asPod.close();
    expect(afterRevoke).toBeInstanceOf(VaultError);
    expect((afterRevoke as VaultError).status).toBe(403);
    expect(events.some((e) => e.uid === "served" && e.reason === "VaultTokenRevoked")).toBe(true);
    expect(JSON.stringify(events)).not.toContain(tokenFile.clientToken);
  });
});
