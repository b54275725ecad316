/**
 * The real VaultAccess: lib/vault's client over HTTPS, with calls leaving from the pod IP so that Vault's
 * secret_id `cidr_list` binding (the controller binds each secret_id to its pod's IP) holds.
 *
 * Contract: maps lib/vault's VaultError onto VaultCallError (`refused` = Vault answered 4xx); its messages are
 * already scrubbed of every token and secret_id sent.
 */
import { openVaultClient, VaultError } from "../vault/index.ts";
import { type OpenVault, VaultCallError } from "./vault-access.ts";

function asCallError(error: unknown): VaultCallError {
  if (error instanceof VaultError) return new VaultCallError(error.message, error.refused);
  return new VaultCallError(error instanceof Error ? error.message : String(error), false);
}

async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asCallError(error);
  }
}

export function vaultFromPod(podIp: string | undefined, timeoutMs?: number): OpenVault {
  return (target) => {
    const client = openVaultClient({
      addr: target.addr,
      ...(target.caPem !== undefined ? { caPem: target.caPem } : {}),
      ...(podIp !== undefined ? { localAddress: podIp } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    return {
      lookupWrapping: (token) =>
        mapped(async () => {
          const info = await client.lookupWrapping(token);
          return {
            creationPath: info.creationPath,
            creationTime: new Date(info.creationTime),
            creationTtlSeconds: info.creationTtlSeconds,
          };
        }),
      unwrapSecretId: (token) =>
        mapped(async () => {
          const unwrapped = await client.unwrap(token);
          return { secretId: unwrapped.secretId, secretIdAccessor: unwrapped.secretIdAccessor };
        }),
      login: (roleId, secretId) =>
        mapped(async () => {
          const login = await client.approleLogin(roleId, secretId);
          return {
            clientToken: login.clientToken,
            accessor: login.accessor,
            leaseDuration: login.leaseDuration,
            renewable: login.renewable,
          };
        }),
      close: () => client.close(),
    };
  };
}
