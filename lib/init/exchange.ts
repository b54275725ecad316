/**
 * One push, end to end: check it, look the wrapping token up, unwrap it, log in, write the files.
 *
 * Contract: never throws; answers either the confirmation (accessors only) or a refusal with the reason the
 * controller and the pod's logs will show. Nothing is written unless every Vault step succeeded, and the wrapping
 * token is only unwrapped (spent) after Vault itself confirmed where it came from.
 */
import { decodeVaultCAs, type PushConfirmation, type PushRequest } from "../push/index.ts";
import type { WriteFiles } from "./atomic-write.ts";
import { credentialFiles, type ObtainedCredentials } from "./credentials.ts";
import type { InitSettings } from "./settings.ts";
import { type OpenVault, type VaultAccess, VaultCallError, vaultCaBundle } from "./vault-access.ts";
import { checkVaultAddr, checkWrapping, type Refusal } from "./verify.ts";

export interface ExchangeContext {
  settings: Pick<
    InitSettings,
    "roleId" | "expectedRole" | "mode" | "tokenPath" | "credentialsDir" | "pinnedVaultAddr" | "vaultCaPem"
  >;
  /** True when the server demanded a client certificate chaining to CONTROLLER_CA_CERT. */
  pushAuthenticated: boolean;
  openVault: OpenVault;
  writeFiles: WriteFiles;
  now: () => Date;
}

export type ExchangeOutcome =
  | { ok: true; confirmation: PushConfirmation; paths: string[] }
  | { ok: false; refusal: Refusal };

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.error);
  }
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function step<T>(call: () => Promise<T>, onVaultRefusal: Refusal["reason"], what: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const refused = error instanceof VaultCallError && error.refused;
    throw new Refused({
      reason: refused ? onVaultRefusal : "vault-unavailable",
      error: `${what}: ${describeFailure(error)}`,
    });
  }
}

async function obtain(
  push: PushRequest,
  vault: VaultAccess,
  ctx: ExchangeContext,
): Promise<ObtainedCredentials> {
  const { settings } = ctx;
  const info = await step(
    () => vault.lookupWrapping(push.token),
    "wrapping-token-invalid",
    "Vault did not recognise the wrapping token (unknown, already used or expired)",
  );
  const refusal = checkWrapping(info, settings.expectedRole, ctx.now());
  if (refusal) throw new Refused(refusal);
  if (settings.mode === "wrapped-secret-id")
    return { mode: settings.mode, wrappedSecretId: push.token, ttlSeconds: info.creationTtlSeconds };
  const unwrapped = await step(() => vault.unwrapSecretId(push.token), "unwrap-failed", "unwrapping failed");
  if (settings.mode === "secret-id") return { mode: settings.mode, ...unwrapped };
  const login = await step(
    () => vault.login(settings.roleId, unwrapped.secretId),
    "login-failed",
    "AppRole login with VAULT_ROLE_ID and the pushed secret_id failed",
  );
  return { mode: "token", login, secretIdAccessor: unwrapped.secretIdAccessor };
}

function confirmationOf(obtained: ObtainedCredentials): PushConfirmation {
  if (obtained.mode === "token")
    return { tokenAccessor: obtained.login.accessor, secretIdAccessor: obtained.secretIdAccessor };
  if (obtained.mode === "secret-id") return { secretIdAccessor: obtained.secretIdAccessor };
  return {};
}

export async function exchangePush(push: PushRequest, ctx: ExchangeContext): Promise<ExchangeOutcome> {
  const { settings } = ctx;
  const addrRefusal = checkVaultAddr(settings.pinnedVaultAddr, push.vaultAddr);
  if (addrRefusal) return { ok: false, refusal: addrRefusal };
  const target = {
    addr: settings.pinnedVaultAddr ?? push.vaultAddr,
    caPem: vaultCaBundle(decodeVaultCAs(push), settings.vaultCaPem, ctx.pushAuthenticated),
  };
  const vault = ctx.openVault(target);
  try {
    const obtained = await obtain(push, vault, ctx);
    const files = credentialFiles(obtained, { ...settings, vaultAddr: target.addr, caPem: target.caPem });
    try {
      await ctx.writeFiles(files);
    } catch (error) {
      return {
        ok: false,
        refusal: {
          reason: "write-failed",
          error: `writing ${files.map((f) => f.path).join(", ")} failed: ${describeFailure(error)}`,
        },
      };
    }
    return { ok: true, confirmation: confirmationOf(obtained), paths: files.map((file) => file.path) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, refusal: error.refusal };
    return { ok: false, refusal: { reason: "vault-unavailable", error: describeFailure(error) } };
  } finally {
    vault.close();
  }
}
