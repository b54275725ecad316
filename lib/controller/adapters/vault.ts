/**
 * lib/vault's client seen through the controller's small ports (reconcile, token keeper, certificate keeper).
 *
 * Contract: pure mapping; no retries or policy added here. Vault errors pass through unchanged, and `refusalOf`
 * recognises them by lib/vault's own rule (Vault answered, with a status and its `errors`).
 */
import { describeCertificate } from "../../tls/index.ts";
import { type VaultClient, vaultRefusal } from "../../vault/index.ts";
import type { IssuedCertificate } from "../certificate-keeper/index.ts";
import type { VaultOperations } from "../reconcile/index.ts";
import type { TokenVault } from "../token-keeper/index.ts";

export function vaultOperationsFrom(client: VaultClient): VaultOperations {
  return {
    createWrappedSecretId: (role, request, wrapTtlSeconds) =>
      client.createWrappedSecretId(role, request, wrapTtlSeconds),
    revokeAccessor: (accessor) => client.revokeAccessor(accessor),
    destroySecretId: (role, secretIdAccessor) => client.destroySecretIdByAccessor(role, secretIdAccessor),
    refusalOf: vaultRefusal,
  };
}

export function tokenVaultFrom(client: VaultClient): TokenVault {
  return {
    lookupSelf: () => client.lookupSelf(),
    renewSelf: async () => ({ ttlSeconds: (await client.renewSelf()).leaseDurationSeconds }),
    readTokenRole: (name) => client.readTokenRole(name),
  };
}

export interface PkiCertificateRequest {
  mount: string;
  role: string;
  commonName: string;
  ipSans?: string[];
  altNames?: string[];
  ttlSeconds?: number;
}

/** An `issue` function for the certificate keeper: one PKI issue call, validity read from the certificate itself. */
export function pkiCertificateIssuer(client: VaultClient, request: PkiCertificateRequest) {
  return async (): Promise<IssuedCertificate> => {
    const issued = await client.pkiIssue(request.mount, request.role, {
      common_name: request.commonName,
      ...(request.ipSans ? { ip_sans: request.ipSans } : {}),
      ...(request.altNames ? { alt_names: request.altNames } : {}),
      ...(request.ttlSeconds !== undefined ? { ttl: request.ttlSeconds } : {}),
    });
    const summary = describeCertificate(issued.certificatePem);
    const chain = issued.caChainPem.length > 0 ? issued.caChainPem : [issued.issuingCaPem];
    return {
      certPem: issued.certificatePem,
      keyPem: issued.privateKeyPem,
      caPem: chain.join(""),
      notBefore: summary.notBefore.getTime(),
      notAfter: summary.notAfter.getTime(),
    };
  };
}
