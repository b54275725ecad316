/**
 * The files an init container leaves for the application, in the original's formats (compact JSON, field names and
 * order as the Go structs had them): vault-sidekick and other readers parse them (AUTH_FORMAT=kubernetes-vault).
 *
 * Contract: pure; `credentialFiles` returns the files in the order they must be written. `ca.crt` comes first so
 * that a reader who sees the credential file can rely on the CA file being there too.
 */
import { join } from "node:path";
import type { CredentialMode } from "./settings.ts";

export interface CredentialFile {
  path: string;
  content: string;
}

export interface TokenCredentials {
  clientToken: string;
  accessor: string;
  leaseDuration: number;
  renewable: boolean;
}

export type ObtainedCredentials =
  | { mode: "token"; login: TokenCredentials; secretIdAccessor: string }
  | { mode: "secret-id"; secretId: string; secretIdAccessor: string }
  | { mode: "wrapped-secret-id"; wrappedSecretId: string; ttlSeconds: number };

export interface CredentialContext {
  roleId: string;
  vaultAddr: string;
  tokenPath: string;
  credentialsDir: string;
  /** The CA bundle that verified Vault during the exchange, when it was not the system roots. */
  caPem: string | undefined;
}

export const SECRET_ID_FILE = "vault-secret-id";
export const WRAPPED_SECRET_ID_FILE = "vault-wrapped-secret-id";
export const CA_FILE = "ca.crt";

export function credentialPath(
  mode: CredentialMode,
  ctx: Pick<CredentialContext, "tokenPath" | "credentialsDir">,
) {
  if (mode === "token") return ctx.tokenPath;
  return join(ctx.credentialsDir, mode === "secret-id" ? SECRET_ID_FILE : WRAPPED_SECRET_ID_FILE);
}

function credentialJson(obtained: ObtainedCredentials, ctx: CredentialContext): string {
  switch (obtained.mode) {
    case "token":
      return JSON.stringify({
        clientToken: obtained.login.clientToken,
        accessor: obtained.login.accessor,
        leaseDuration: obtained.login.leaseDuration,
        renewable: obtained.login.renewable,
        vaultAddr: ctx.vaultAddr,
      });
    case "secret-id":
      return JSON.stringify({
        roleId: ctx.roleId,
        secretId: obtained.secretId,
        accessor: obtained.secretIdAccessor,
        vaultAddr: ctx.vaultAddr,
      });
    case "wrapped-secret-id":
      return JSON.stringify({
        roleId: ctx.roleId,
        wrappedSecretId: obtained.wrappedSecretId,
        vaultAddr: ctx.vaultAddr,
        ttl: obtained.ttlSeconds,
      });
  }
}

export function credentialFiles(obtained: ObtainedCredentials, ctx: CredentialContext): CredentialFile[] {
  const files: CredentialFile[] = [];
  if (ctx.caPem) files.push({ path: join(ctx.credentialsDir, CA_FILE), content: ctx.caPem });
  files.push({ path: credentialPath(obtained.mode, ctx), content: credentialJson(obtained, ctx) });
  return files;
}
