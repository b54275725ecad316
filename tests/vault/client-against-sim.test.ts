// The client against the Vault stand-in (sim/vault) over HTTPS with the stand-in's own CA, provisioned as the
// sandbox does it: the controller's calls with its periodic token, the init's lookup/unwrap/login from the pod's
// source address, the PKI calls, ACL refusals and outages. Both sides follow developer.hashicorp.com/vault/api-docs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpClient } from "../../lib/runtime/index.ts";
import { describeCertificate, verifyLeaf } from "../../lib/tls/index.ts";
import { openVaultClient, type VaultClient, type WrappedSecretId } from "../../lib/vault/index.ts";
import {
  CONTROLLER_POLICY,
  CONTROLLER_POLICY_HCL,
  CONTROLLER_TOKEN_ROLE,
  PKI_MOUNT,
  PKI_ROLE,
  type ProvisionedVault,
  provisionVault,
} from "../../sim/sandbox/provision.ts";
import { startVaultSim } from "../../sim/vault/index.ts";
import { vaultErrorOf } from "./fake-vault.ts";

const HOST = "127.5.0.1";
const POD_IP = "127.5.1.1";
const OTHER_IP = "127.5.1.2";

let dir: string;
let sim: Awaited<ReturnType<typeof startVaultSim>>;
let provisioned: ProvisionedVault;
const opened: { close(): void }[] = [];

function client(options: { token?: string; localAddress?: string } = {}): VaultClient {
  const opened_ = openVaultClient({
    addr: sim.addr,
    caPem: sim.caPem,
    retry: { attempts: 2, baseDelayMs: 5 },
    ...options,
  });
  opened.push(opened_);
  return opened_;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vault-client-sim-"));
  sim = await startVaultSim({ hostname: HOST, port: 0, dir });
  provisioned = await provisionVault(sim.addr, sim.caPem, sim.rootToken);
  await grantSecretIds(["demo-app", "demo-batch"]);
});

/**
 * Vault's ACL globs work only at the end of a path (api-docs and docs/concepts/policies), so a rule such as
 * "auth/approle/role/demo-* /secret-id" (without the space) matches nothing; the stand-in enforces that, as
 * Vault does. Grant the secret-id paths by name, as an operator must.
 */
async function grantSecretIds(roles: string[]): Promise<void> {
  const http = createHttpClient({ trust: { kind: "ca", caPem: sim.caPem } });
  const extra = roles
    .map((role) => `path "auth/approle/role/${role}/secret-id" {\n  capabilities = ["update"]\n}\n`)
    .join("");
  const response = await http.fetch(`${sim.addr}/v1/sys/policies/acl/${CONTROLLER_POLICY}`, {
    method: "PUT",
    headers: { "X-Vault-Token": sim.rootToken, "content-type": "application/json" },
    body: JSON.stringify({ policy: `${CONTROLLER_POLICY_HCL}${extra}` }),
  });
  http.close();
  expect(response.status).toBe(204);
}
afterAll(async () => {
  for (const c of opened) c.close();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function mint(controller: VaultClient, role = "demo-app", cidr = `${POD_IP}/32`): Promise<WrappedSecretId> {
  return controller.createWrappedSecretId(
    role,
    { metadata: { pod: "team-a/web-0", uid: "5f0c" }, cidrList: [cidr], numUses: 1, ttlSeconds: 120 },
    60,
  );
}

describe("the controller's calls", () => {
  test("health: an active, unsealed Vault", async () => {
    const health = await client().health();
    expect(health).toMatchObject({
      status: 200,
      active: true,
      initialized: true,
      sealed: false,
      standby: false,
    });
  });

  test("lookupSelf and readTokenRole show a renewable, non-root token whose role gives the period", async () => {
    const controller = client({ token: provisioned.controllerToken });
    const self = await controller.lookupSelf();
    expect(self.accessor).toBe(provisioned.controllerTokenAccessor);
    expect(self.policies).toContain("kubernetes-vault");
    expect(self.policies).not.toContain("root");
    expect(self.renewable).toBe(true);
    // As real Vault (1.13.0): a role's period is applied, not recorded on the token; the role carries it.
    expect(self.periodSeconds).toBe(0);
    expect(self.ttlSeconds).toBeGreaterThan(23 * 3600);
    expect(self.explicitMaxTtlSeconds).toBe(0);
    expect(self.role).toBe(CONTROLLER_TOKEN_ROLE);
    const role = await controller.readTokenRole(CONTROLLER_TOKEN_ROLE);
    expect(role).toMatchObject({
      name: CONTROLLER_TOKEN_ROLE,
      periodSeconds: 24 * 3600,
      explicitMaxTtlSeconds: 0,
      renewable: true,
    });
  });

  test("renewSelf extends the token by its period", async () => {
    const renewal = await client({ token: provisioned.controllerToken }).renewSelf();
    expect(renewal.accessor).toBe(provisioned.controllerTokenAccessor);
    expect(renewal.leaseDurationSeconds).toBe(24 * 3600);
    expect(renewal.renewable).toBe(true);
  });

  test("createWrappedSecretId answers wrap_info created by the role's secret-id path", async () => {
    const wrapped = await mint(client({ token: provisioned.controllerToken }));
    expect(wrapped.creationPath).toBe("auth/approle/role/demo-app/secret-id");
    expect(wrapped.ttlSeconds).toBe(60);
    expect(wrapped.wrappingToken.length).toBeGreaterThan(10);
    expect(wrapped.secretIdAccessor?.length ?? 0).toBeGreaterThan(10);
    expect(Number.isNaN(Date.parse(wrapped.creationTime))).toBe(false);
  });

  test("a role outside the controller's policy is Vault's 403, and the error carries no token", async () => {
    const error = await vaultErrorOf(mint(client({ token: provisioned.controllerToken }), "unlisted-app"));
    expect(error.status).toBe(403);
    expect(error.path).toBe("auth/approle/role/unlisted-app/secret-id");
    expect(error.errors.join()).toContain("permission denied");
    expect(error.message).toBe(
      "Vault PUT /v1/auth/approle/role/unlisted-app/secret-id failed with HTTP 403: 1 error occurred: * permission denied",
    );
    expect(error.message).not.toContain(provisioned.controllerToken);
  });
});

describe("the init's calls", () => {
  test("lookup, unwrap (single use) and login from the pod's address; metadata reaches the token", async () => {
    const controller = client({ token: provisioned.controllerToken });
    const wrapped = await mint(controller);
    const init = client({ localAddress: POD_IP });
    const lookup = await init.lookupWrapping(wrapped.wrappingToken);
    expect(lookup).toMatchObject({
      creationPath: "auth/approle/role/demo-app/secret-id",
      creationTtlSeconds: 60,
    });
    const unwrapped = await init.unwrap(wrapped.wrappingToken);
    expect(unwrapped.secretIdAccessor).toBe(wrapped.secretIdAccessor ?? "");
    const again = await vaultErrorOf(init.unwrap(wrapped.wrappingToken));
    expect(again.status).toBe(400);
    expect(again.message).not.toContain(wrapped.wrappingToken);

    const roleId = provisioned.roleIds["demo-app"] ?? "";
    const login = await init.approleLogin(roleId, unwrapped.secretId);
    expect(login.policies).toContain("demo-app");
    expect(login.renewable).toBe(true);
    expect(login.leaseDuration).toBe(3600);
    expect(login.metadata).toMatchObject({ pod: "team-a/web-0", uid: "5f0c" });
    const asPod = await init.withToken(login.clientToken).lookupSelf();
    expect(asPod.accessor).toBe(login.accessor);

    // num_uses 1: the secret_id is spent.
    const reuse = await vaultErrorOf(init.approleLogin(roleId, unwrapped.secretId));
    expect(reuse.refused).toBe(true);
    expect(reuse.message).not.toContain(unwrapped.secretId);
    expect(reuse.message).not.toContain(roleId);

    // revoke-on-delete: the controller revokes the pod's token by accessor.
    await controller.revokeAccessor(login.accessor);
    const revoked = await vaultErrorOf(init.withToken(login.clientToken).lookupSelf());
    expect(revoked.status).toBe(403);
    expect(revoked.message).not.toContain(login.clientToken);
  });

  test("the secret_id's cidr_list refuses a login from another address", async () => {
    const wrapped = await mint(client({ token: provisioned.controllerToken }));
    const elsewhere = client({ localAddress: OTHER_IP });
    const { secretId } = await elsewhere.unwrap(wrapped.wrappingToken);
    const error = await vaultErrorOf(elsewhere.approleLogin(provisioned.roleIds["demo-app"] ?? "", secretId));
    expect(error.refused).toBe(true);
    expect(error.message).not.toContain(secretId);
  });
});

describe("PKI", () => {
  test("pkiIssue gives a certificate with the asked SANs that chains to ca/pem and cert/ca", async () => {
    const controller = client({ token: provisioned.controllerToken });
    const issued = await controller.pkiIssue(PKI_MOUNT, PKI_ROLE, {
      common_name: "kubernetes-vault-0",
      ip_sans: [HOST, "127.5.0.2"],
      alt_names: ["kubernetes-vault-0.kubernetes-vault", "localhost"],
      ttl: 3600,
    });
    const caPem = await client().pkiCaPem(PKI_MOUNT);
    const certCa = await client().pkiCertCa(PKI_MOUNT);
    expect(certCa.trim()).toBe(caPem.trim());
    expect(caPem.trim()).toBe(provisioned.pkiCaPem.trim());
    expect(await verifyLeaf(issued.certificatePem, [caPem])).toBe(true);
    const summary = describeCertificate(issued.certificatePem);
    expect(summary.ipSans).toEqual(expect.arrayContaining([HOST, "127.5.0.2"]));
    expect(summary.dnsNames).toEqual(
      expect.arrayContaining(["kubernetes-vault-0.kubernetes-vault", "localhost"]),
    );
    expect(issued.privateKeyPem).toContain("PRIVATE KEY");
    expect(issued.expiration * 1000).toBeGreaterThan(Date.now());
  });
});

describe("outages", () => {
  test("offline: status 0 after retries; back online: answers again", async () => {
    const observer = client();
    await sim.setOnline(false);
    try {
      const error = await vaultErrorOf(observer.health());
      expect(error.status).toBe(0);
    } finally {
      await sim.setOnline(true);
    }
    expect((await observer.health()).active).toBe(true);
  });
});
