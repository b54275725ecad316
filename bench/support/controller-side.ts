/**
 * The controller's half of a push, done directly with lib/ (no controller process): its Vault client with the
 * controller token, a client certificate issued by the sandbox's Vault PKI (what CONTROLLER_CA_CERT trusts), minting
 * a wrapped secret_id bound to one pod IP, and the HTTPS POST to the pod's init endpoint. Used by the floor figure
 * and the fleet test; the same calls the product's pusher and reconcile make.
 */
import { readFileSync } from "node:fs";
import { encodeVaultCAs, initCertificateCheck, type PushRequest, pushUrl } from "../../lib/push/index.ts";
import { createHttpClient } from "../../lib/runtime/index.ts";
import { openVaultClient, type VaultClient, type WrappedSecretId } from "../../lib/vault/index.ts";
import type { SandboxDescription } from "../../sim/sandbox/index.ts";

export interface ControllerSide {
  vault: VaultClient & { close(): void };
  identity: { certPem: string; keyPem: string };
  vaultCaPem: string;
  mint(role: string, podIp: string): Promise<WrappedSecretId>;
  pushRequest(wrap: WrappedSecretId): PushRequest;
  /** POSTs the push on a fresh connection, as the pusher does, and returns the status and body. */
  push(podIp: string, wrap: WrappedSecretId): Promise<{ status: number; body: string }>;
  close(): void;
}

export async function openControllerSide(sandbox: SandboxDescription): Promise<ControllerSide> {
  const vaultCaPem = readFileSync(sandbox.vault.caCert, "utf8");
  const vault = openVaultClient({
    addr: sandbox.vault.addr,
    token: sandbox.controller.vaultToken,
    caPem: vaultCaPem,
  });
  const issued = await vault.pkiIssue(sandbox.controller.pkiMount, sandbox.controller.pkiRole, {
    common_name: "kubernetes-vault-bench",
    ttl: 3600,
  });
  const identity = { certPem: issued.certificatePem, keyPem: issued.privateKeyPem };
  const pushRequest = (wrap: WrappedSecretId): PushRequest => ({
    token: wrap.wrappingToken,
    creationTime: wrap.creationTime,
    ttl: wrap.ttlSeconds,
    vaultAddr: sandbox.vault.addr,
    vaultCAs: encodeVaultCAs(vaultCaPem),
  });
  return {
    vault,
    identity,
    vaultCaPem,
    mint: (role, podIp) =>
      vault.createWrappedSecretId(
        role,
        { metadata: { pod: `bench/${podIp}` }, cidrList: [`${podIp}/32`], numUses: 1, ttlSeconds: 120 },
        60,
      ),
    pushRequest,
    async push(podIp, wrap) {
      const client = createHttpClient({
        trust: { kind: "peer-check", check: initCertificateCheck(podIp) },
        clientCertPem: identity.certPem,
        clientKeyPem: identity.keyPem,
        keepAlive: false,
        timeoutMs: 30_000,
      });
      try {
        const response = await client.fetch(pushUrl(podIp), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(pushRequest(wrap)),
        });
        return { status: response.status, body: await response.text() };
      } finally {
        client.close();
      }
    },
    close: () => vault.close(),
  };
}
