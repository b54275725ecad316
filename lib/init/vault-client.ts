/**
 * The real VaultAccess: lib/vault's client over HTTPS, with calls leaving from the pod IP so that Vault's
 * secret_id `cidr_list` binding (the controller binds each secret_id to its pod's IP) holds.
 *
 * Contract: maps lib/vault's VaultError onto VaultCallError (`refused` = Vault answered 4xx); its messages are
 * already scrubbed of every token and secret_id sent. The wrapping lookup, the one call made before anything shows
 * that the pushed Vault is real, has a deadline of its own across its retries (WRAPPING_LOOKUP_DEADLINE_MS); the
 * other calls keep lib/vault's per-try deadline. Every call shares one connection pool, so unwrap and login reuse
 * the lookup's TLS connection.
 */
import { createHttpClient, type HttpFetch } from "../runtime/index.ts";
import { createVaultClient, DEFAULT_VAULT_TIMEOUT_MS, VaultError } from "../vault/index.ts";
import { type OpenVault, VaultCallError, type WrappingInfo } from "./vault-access.ts";

/**
 * How long a push's wrapping lookup may take, retries included. Vault answers it from memory in milliseconds, so
 * 5 s still rides out a slow network or a retry during a Vault leader election. A Vault that accepts connections
 * and never answers (a forged or stale vaultAddr, a hung Vault) held a push for three tries of 10 s before this.
 * It is well under the controller's push timeout (PUSH_TIMEOUT_MS, 15 s), so a controller hears the refusal.
 */
export const WRAPPING_LOOKUP_DEADLINE_MS = 5_000;

export interface VaultFromPodOptions {
  /** Per-try deadline of unwrap, login and revoke-self (lib/vault's default otherwise). */
  timeoutMs?: number;
  /** The wrapping lookup's whole deadline; tests shorten it. */
  lookupDeadlineMs?: number;
}

function asCallError(error: unknown): VaultCallError {
  if (error instanceof VaultError) return new VaultCallError(error.message, error.refused, error.status);
  return new VaultCallError(error instanceof Error ? error.message : String(error), false);
}

async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asCallError(error);
  }
}

/** Every request made through the result also ends when `stop` aborts. */
function stoppable(fetch: HttpFetch, stop: AbortSignal): HttpFetch {
  return (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, stop]) : stop });
}

interface LookupTarget {
  addr: string;
  fetch: HttpFetch;
  timeoutMs: number;
  deadlineMs: number;
}

async function lookupWithin(
  target: LookupTarget,
  wrappingToken: string,
  cancel: AbortSignal | undefined,
): Promise<WrappingInfo> {
  const deadline = AbortSignal.timeout(target.deadlineMs);
  const stop = cancel ? AbortSignal.any([deadline, cancel]) : deadline;
  const client = createVaultClient({
    addr: target.addr,
    fetch: stoppable(target.fetch, stop),
    timeoutMs: Math.min(target.timeoutMs, target.deadlineMs),
  });
  try {
    const info = await client.lookupWrapping(wrappingToken);
    return {
      creationPath: info.creationPath,
      creationTime: new Date(info.creationTime),
      creationTtlSeconds: info.creationTtlSeconds,
    };
  } catch (error) {
    if (cancel?.aborted) throw new VaultCallError("the lookup was called off", false);
    if (deadline.aborted)
      throw new VaultCallError(
        `no answer from ${target.addr} within the wrapping lookup's deadline (${target.deadlineMs} ms)`,
        false,
      );
    throw asCallError(error);
  }
}

export function vaultFromPod(podIp: string | undefined, options: VaultFromPodOptions = {}): OpenVault {
  const timeoutMs = options.timeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS;
  const deadlineMs = options.lookupDeadlineMs ?? WRAPPING_LOOKUP_DEADLINE_MS;
  return (target) => {
    const http = createHttpClient({
      trust: target.caPem !== undefined ? { kind: "ca", caPem: target.caPem } : { kind: "system" },
      ...(podIp !== undefined ? { localAddress: podIp } : {}),
      // The Vault client's own deadline is the one that counts; this one only stops a socket from outliving it.
      timeoutMs: timeoutMs + 1_000,
    });
    const client = createVaultClient({ addr: target.addr, fetch: http.fetch, timeoutMs });
    const lookupTarget: LookupTarget = { addr: target.addr, fetch: http.fetch, timeoutMs, deadlineMs };
    return {
      lookupWrapping: (token, signal) => lookupWithin(lookupTarget, token, signal),
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
      revokeSelf: (clientToken) => mapped(() => client.withToken(clientToken).revokeSelf()),
      renewSelf: (clientToken, increment) =>
        mapped(async () => {
          const renewal = await client.withToken(clientToken).renewSelf(increment);
          return { leaseDuration: renewal.leaseDurationSeconds, renewable: renewal.renewable };
        }),
      close: () => http.close(),
    };
  };
}
