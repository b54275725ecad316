/**
 * createVaultClient(): the Vault calls kubernetes-vault makes, over an injected fetch (`createHttpClient().fetch`
 * in programs, a Hono app's `request` or a real HTTPS server in tests).
 *
 * Contract: every method validates Vault's answer with valibot and throws VaultError (status 0 = not reached);
 * each try has its own deadline (`timeoutMs`); only safe calls are retried (see retry.ts); no error or log line
 * carries a token, wrapping token, secret_id or role_id.
 */
import { createHttpClient, type HttpClient, type HttpFetch } from "../runtime/index.ts";
import {
  approleLogin,
  createWrappedSecretId,
  destroySecretIdByAccessor,
  type LoginResult,
  type SecretIdRequest,
  type WrappedSecretId,
} from "./approle.ts";
import { health, type VaultHealth } from "./health.ts";
import { type IssuedCertificatePem, type PkiIssueRequest, pkiCaPem, pkiCertCa, pkiIssue } from "./pki.ts";
import { type RetryOptions, retryPolicy } from "./retry.ts";
import {
  lookupSelf,
  readTokenRole,
  renewSelf,
  revokeAccessor,
  revokeSelf,
  type TokenLookup,
  type TokenRenewal,
  type TokenRole,
} from "./token.ts";
import type { TransportOptions } from "./transport.ts";
import { lookupWrapping, type UnwrappedSecretId, unwrapSecretId, type WrappingLookup } from "./wrapping.ts";

/** Vault answers in milliseconds; ten seconds means it (or the network) is in trouble, so fail and retry. */
export const DEFAULT_VAULT_TIMEOUT_MS = 10_000;

export interface VaultClientOptions {
  /** Origin only, e.g. "https://vault:8200" (lib/config validates VAULT_ADDR to this shape). */
  addr: string;
  /** X-Vault-Token for authenticated calls; secret. */
  token?: string;
  fetch: HttpFetch;
  timeoutMs?: number;
  retry?: RetryOptions;
}

export interface VaultClient {
  readonly addr: string;
  lookupSelf(): Promise<TokenLookup>;
  renewSelf(incrementSeconds?: number): Promise<TokenRenewal>;
  readTokenRole(name: string): Promise<TokenRole>;
  revokeAccessor(accessor: string): Promise<void>;
  /** Revokes the client's own token (the init's, when it cannot deliver it). */
  revokeSelf(): Promise<void>;
  createWrappedSecretId(
    role: string,
    request: SecretIdRequest,
    wrapTtlSeconds: number,
  ): Promise<WrappedSecretId>;
  destroySecretIdByAccessor(role: string, secretIdAccessor: string): Promise<void>;
  lookupWrapping(wrappingToken: string): Promise<WrappingLookup>;
  unwrap(wrappingToken: string): Promise<UnwrappedSecretId>;
  approleLogin(roleId: string, secretId: string): Promise<LoginResult>;
  pkiIssue(mount: string, role: string, request: PkiIssueRequest): Promise<IssuedCertificatePem>;
  pkiCaPem(mount: string): Promise<string>;
  pkiCertCa(mount: string): Promise<string>;
  health(): Promise<VaultHealth>;
  /** The same client with another token (e.g. the init's fresh login token); shares fetch and policies. */
  withToken(token: string | undefined): VaultClient;
}

export function createVaultClient(options: VaultClientOptions): VaultClient {
  const transport: TransportOptions = {
    addr: options.addr.replace(/\/+$/, ""),
    ...(options.token !== undefined ? { token: options.token } : {}),
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS,
    retry: retryPolicy(options.retry),
  };
  return {
    addr: transport.addr,
    lookupSelf: () => lookupSelf(transport),
    renewSelf: (increment) => renewSelf(transport, increment),
    readTokenRole: (name) => readTokenRole(transport, name),
    revokeAccessor: (accessor) => revokeAccessor(transport, accessor),
    revokeSelf: () => revokeSelf(transport),
    createWrappedSecretId: (role, request, wrapTtl) =>
      createWrappedSecretId(transport, role, request, wrapTtl),
    destroySecretIdByAccessor: (role, accessor) => destroySecretIdByAccessor(transport, role, accessor),
    lookupWrapping: (token) => lookupWrapping(transport, token),
    unwrap: (token) => unwrapSecretId(transport, token),
    approleLogin: (roleId, secretId) => approleLogin(transport, roleId, secretId),
    pkiIssue: (mount, role, request) => pkiIssue(transport, mount, role, request),
    pkiCaPem: (mount) => pkiCaPem(transport, mount),
    pkiCertCa: (mount) => pkiCertCa(transport, mount),
    health: () => health(transport),
    withToken: (token) => {
      const { token: _previous, ...rest } = options;
      return createVaultClient({ ...rest, ...(token !== undefined ? { token } : {}) });
    },
  };
}

export interface VaultConnectionOptions {
  /** PEM bundle that verifies Vault (VAULT_CACERT); undefined = the system roots. */
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Source address of calls, so Vault's cidr_list binding sees the pod IP. */
  localAddress?: string;
}

/** A client over a real HTTPS connection pool; `close()` releases its sockets. */
export function openVaultClient(
  options: Omit<VaultClientOptions, "fetch"> & VaultConnectionOptions,
): VaultClient & { close(): void } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS;
  const http: HttpClient = createHttpClient({
    trust: options.caPem !== undefined ? { kind: "ca", caPem: options.caPem } : { kind: "system" },
    ...(options.clientCertPem !== undefined ? { clientCertPem: options.clientCertPem } : {}),
    ...(options.clientKeyPem !== undefined ? { clientKeyPem: options.clientKeyPem } : {}),
    ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    // The client's own deadline is the one that counts; this one only stops a socket from outliving it.
    timeoutMs: timeoutMs + 1_000,
  });
  const client = createVaultClient({ ...options, fetch: http.fetch, timeoutMs });
  return { ...client, close: () => http.close() };
}
