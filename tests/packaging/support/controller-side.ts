/**
 * The controller's half of a push, done with the controller's own parts against the sandbox: its Vault token
 * (provisioned like docs/quick-start.md), a client certificate issued by the sandbox's PKI mount, a pod-bound
 * response-wrapped secret_id, and lib/controller/pusher over mutual TLS. What an init under test receives is
 * therefore exactly what a real controller would send.
 */
import { createHttpsPusher } from "../../../lib/controller/pusher/index.ts";
import type { PushOutcome } from "../../../lib/controller/reconcile/index.ts";
import { encodeVaultCAs } from "../../../lib/push/index.ts";
import { createHttpClient } from "../../../lib/runtime/index.ts";
import { createVaultClient, type TokenLookup } from "../../../lib/vault/index.ts";
import type { Sandbox } from "../../../sim/sandbox/index.ts";

export const SAMPLE_ROLE = "demo-app";

export interface ControllerSide {
  /** Mints a wrapped secret_id for `role` bound to `podIp`/32 and pushes it to the init listening there. */
  pushTo(podIp: string, role?: string): Promise<PushOutcome>;
  /** Vault's lookup-self for `token`, as the pod's application would call it. */
  lookupSelf(token: string): Promise<TokenLookup>;
  close(): void;
}

export async function controllerSide(sandbox: Sandbox): Promise<ControllerSide> {
  const { vault, controller } = sandbox.description;
  const http = createHttpClient({ trust: { kind: "ca", caPem: sandbox.vault.caPem }, timeoutMs: 30_000 });
  const client = createVaultClient({ addr: vault.addr, token: controller.vaultToken, fetch: http.fetch });
  const issued = await client.pkiIssue(controller.pkiMount, controller.pkiRole, {
    common_name: "kubernetes-vault-controller",
    ttl: 3600,
  });
  const identity = { certPem: issued.certificatePem, keyPem: issued.privateKeyPem };
  const pusher = createHttpsPusher({ identity: () => identity, timeoutMs: 60_000 });
  return {
    async pushTo(podIp, role = SAMPLE_ROLE) {
      const wrapped = await client.createWrappedSecretId(
        role,
        { metadata: { pod: `packaging/${podIp}` }, cidrList: [`${podIp}/32`], numUses: 1, ttlSeconds: 180 },
        120,
      );
      const request = {
        token: wrapped.wrappingToken,
        creationTime: wrapped.creationTime,
        ttl: wrapped.ttlSeconds,
        vaultAddr: vault.addr,
        vaultCAs: encodeVaultCAs(sandbox.vault.caPem),
      };
      return pusher.push(podIp, request, new AbortController().signal);
    },
    lookupSelf: (token) => client.withToken(token).lookupSelf(),
    close: () => http.close(),
  };
}
