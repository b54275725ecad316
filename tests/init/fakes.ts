// In-memory stand-ins for the init's dependencies, for tests that need no sockets.

import {
  type CredentialFile,
  type InitSettings,
  type LoginResult,
  type OpenVault,
  type TokenLease,
  type UnwrappedSecretId,
  type VaultAccess,
  VaultCallError,
  type VaultTarget,
  type WrappingInfo,
} from "../../lib/init/index.ts";
import { createLogger, type Logger } from "../../lib/log/index.ts";
import type { PushRequest } from "../../lib/push/index.ts";
import { encodeVaultCAs } from "../../lib/push/index.ts";

export const NOW = new Date("2026-01-02T03:04:05Z");

export function quietLogger(lines: string[] = []): Logger {
  return createLogger("debug", {}, (line) => lines.push(line));
}

export function baseSettings(overrides: Partial<InitSettings> = {}): InitSettings {
  return {
    roleId: "role-id-1",
    expectedRole: "app",
    mode: "token",
    tokenPath: "/creds/vault-token",
    credentialsDir: "/creds",
    timeoutMs: 60_000,
    listen: { hostname: "127.0.0.1", port: 0 },
    podIp: "127.1.0.1",
    pinnedVaultAddr: undefined,
    vaultCaPem: undefined,
    controllerCaPem: undefined,
    logLevel: "info",
    ...overrides,
  };
}

export function samplePush(overrides: Partial<PushRequest> = {}): PushRequest {
  return {
    token: "hvs.wrapping-token",
    creationTime: NOW.toISOString(),
    ttl: 60,
    vaultAddr: "https://vault.test:8200",
    vaultCAs: encodeVaultCAs(undefined),
    ...overrides,
  };
}

export interface FakeVault {
  open: OpenVault;
  targets: VaultTarget[];
  calls: string[];
  wrapping: WrappingInfo | Error;
  unwrapped: UnwrappedSecretId | Error;
  login: LoginResult | Error;
  /** What revoke-self does: succeed (undefined) or fail. */
  revoke: undefined | Error;
  /** Tokens revoked with revoke-self. */
  revoked: string[];
  /** What renew-self answers. */
  renew: TokenLease | Error;
  /** Tokens renewed with renew-self, with the increment asked for. */
  renewed: { token: string; increment: number }[];
  /** Aborted signals seen by lookupWrapping (a lookup that was called off). */
  lookupSignals: (AbortSignal | undefined)[];
  closed: number;
}

export function fakeVault(): FakeVault {
  const state: FakeVault = {
    targets: [],
    calls: [],
    closed: 0,
    revoke: undefined,
    revoked: [],
    renew: { leaseDuration: 3600, renewable: true },
    renewed: [],
    lookupSignals: [],
    wrapping: { creationPath: "auth/approle/role/app/secret-id", creationTime: NOW, creationTtlSeconds: 60 },
    unwrapped: { secretId: "secret-1", secretIdAccessor: "sid-accessor-1" },
    login: {
      clientToken: "client-token-1",
      accessor: "token-accessor-1",
      leaseDuration: 3600,
      renewable: true,
    },
    open: (target) => {
      state.targets.push(target);
      const answer = <T>(call: string, value: T | Error): Promise<T> => {
        state.calls.push(call);
        return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
      };
      const access: VaultAccess = {
        lookupWrapping: (_token, signal) => {
          state.lookupSignals.push(signal);
          return answer("lookup", state.wrapping);
        },
        unwrapSecretId: () => answer("unwrap", state.unwrapped),
        login: () => answer("login", state.login),
        revokeSelf: async (token) => {
          await answer("revoke-self", state.revoke ?? undefined);
          state.revoked.push(token);
        },
        renewSelf: async (token, increment) => {
          const lease = await answer("renew-self", state.renew);
          state.renewed.push({ token, increment });
          return lease;
        },
        close: () => {
          state.closed += 1;
        },
      };
      return access;
    },
  };
  return state;
}

export const vaultRefusal = (message: string) => new VaultCallError(message, true);
export const vaultDown = (message: string) => new VaultCallError(message, false);

export function memoryFiles(): {
  files: CredentialFile[];
  write: (files: CredentialFile[]) => Promise<void>;
} {
  const files: CredentialFile[] = [];
  return {
    files,
    write: async (batch) => {
      files.push(...batch);
    },
  };
}
