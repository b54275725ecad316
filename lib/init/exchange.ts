/**
 * One push, end to end: check it, look the wrapping token up, take the slot, unwrap it, log in, write the files.
 *
 * Contract: never throws; answers either the confirmation (accessors only) or a refusal with the reason the
 * controller and the pod's logs will show.
 * - Nothing is written unless every Vault step succeeded, and the wrapping token is only unwrapped (spent) after
 *   Vault itself confirmed where it came from, and only by the push that then holds the slot (`ExchangeSlot`):
 *   lookups of several pushes may run side by side (app.ts says why), spending never does.
 * - A token that was obtained but could not be written is revoked at once (auth/token/revoke-self, which needs no
 *   other permission) instead of staying live, undelivered, for its whole TTL. The refusal stays "write-failed" and
 *   says whether the revocation worked; the log names the token's accessor, never the token.
 */
import type { Logger } from "../log/index.ts";
import { decodeVaultCAs, type PushConfirmation, type PushRequest } from "../push/index.ts";
import type { WriteFiles } from "./atomic-write.ts";
import {
  type CredentialContext,
  type CredentialFile,
  credentialFiles,
  type ObtainedCredentials,
  type TokenCredentials,
} from "./credentials.ts";
import type { InitSettings } from "./settings.ts";
import {
  type OpenVault,
  type VaultAccess,
  VaultCallError,
  type VaultTarget,
  vaultCaBundle,
  type WrappingInfo,
} from "./vault-access.ts";
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
  log: Logger;
  /** Sidecar mode: return the token and where it came from (`held`), to renew and revoke it later. */
  keepToken?: boolean;
}

/** A delivered token as the sidecar keeps it in memory (never logged: it holds the token). */
export interface HeldCredentials {
  login: TokenCredentials;
  secretIdAccessor: string;
  target: VaultTarget;
  /** What credentialFiles needs to write the token file again with a renewed lease. */
  files: CredentialContext;
}

/** How a verified push takes the one right to spend its wrapping token (app.ts owns it). */
export interface ExchangeSlot {
  /** Called once the lookup checks passed, before anything is spent: a refusal (busy, already delivered) or
   * undefined, after which this push holds the slot until the exchange returns. */
  claim(): Refusal | undefined;
  /** Aborts a lookup still under way once it cannot matter any more (another push delivered). */
  readonly cancelled: AbortSignal;
}

/** For callers that run one exchange at a time (tests, tools): the slot is always free. */
export const FREE_SLOT: ExchangeSlot = { claim: () => undefined, cancelled: new AbortController().signal };

export type ExchangeOutcome =
  | { ok: true; confirmation: PushConfirmation; paths: string[]; held?: HeldCredentials }
  | { ok: false; refusal: Refusal };

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.error);
  }
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface StepTexts {
  /** Vault answered and said no (4xx). */
  refused: string;
  /** Vault was not reached, did not answer in time, or failed. */
  failed: string;
}

async function step<T>(
  call: () => Promise<T>,
  onVaultRefusal: Refusal["reason"],
  texts: StepTexts,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const refused = error instanceof VaultCallError && error.refused;
    throw new Refused({
      reason: refused ? onVaultRefusal : "vault-unavailable",
      error: `${refused ? texts.refused : texts.failed}: ${describeFailure(error)}`,
    });
  }
}

const sameText = (text: string): StepTexts => ({ refused: text, failed: text });

async function verify(push: PushRequest, vault: VaultAccess, ctx: ExchangeContext, slot: ExchangeSlot) {
  const info = await step(() => vault.lookupWrapping(push.token, slot.cancelled), "wrapping-token-invalid", {
    refused: "Vault did not recognise the wrapping token (unknown, already used or expired)",
    failed: "looking the wrapping token up failed",
  });
  const refusal = checkWrapping(info, ctx.settings.expectedRole, ctx.now());
  if (refusal) throw new Refused(refusal);
  return info;
}

async function obtain(
  push: PushRequest,
  info: WrappingInfo,
  vault: VaultAccess,
  ctx: ExchangeContext,
): Promise<ObtainedCredentials> {
  const { settings } = ctx;
  if (settings.mode === "wrapped-secret-id")
    return { mode: settings.mode, wrappedSecretId: push.token, ttlSeconds: info.creationTtlSeconds };
  const unwrapped = await step(
    () => vault.unwrapSecretId(push.token),
    "unwrap-failed",
    sameText("unwrapping failed"),
  );
  if (settings.mode === "secret-id") return { mode: settings.mode, ...unwrapped };
  const login = await step(
    () => vault.login(settings.roleId, unwrapped.secretId),
    "login-failed",
    sameText("AppRole login with VAULT_ROLE_ID and the pushed secret_id failed"),
  );
  return { mode: "token", login, secretIdAccessor: unwrapped.secretIdAccessor };
}

function confirmationOf(obtained: ObtainedCredentials): PushConfirmation {
  if (obtained.mode === "token")
    return { tokenAccessor: obtained.login.accessor, secretIdAccessor: obtained.secretIdAccessor };
  if (obtained.mode === "secret-id") return { secretIdAccessor: obtained.secretIdAccessor };
  return {};
}

/** Revokes a token nobody will ever read; returns what to add to the refusal. */
async function revokeUndelivered(
  obtained: ObtainedCredentials,
  vault: VaultAccess,
  log: Logger,
): Promise<string> {
  if (obtained.mode !== "token") return "";
  const tokenAccessor = obtained.login.accessor;
  try {
    await vault.revokeSelf(obtained.login.clientToken);
    log.warn("revoked the token this init obtained but could not write", { tokenAccessor });
    return `; the new token (accessor ${tokenAccessor}) was revoked`;
  } catch (error) {
    const cause = describeFailure(error);
    log.error(
      "could not revoke the token this init obtained but could not write; it stays valid until its TTL",
      {
        tokenAccessor,
        error: cause,
      },
    );
    return `; revoking the new token (accessor ${tokenAccessor}) failed too (${cause}), so it stays valid until its TTL ends`;
  }
}

async function deliver(
  obtained: ObtainedCredentials,
  files: CredentialFile[],
  vault: VaultAccess,
  ctx: ExchangeContext,
): Promise<ExchangeOutcome> {
  try {
    await ctx.writeFiles(files);
  } catch (error) {
    const written = `writing ${files.map((f) => f.path).join(", ")} failed: ${describeFailure(error)}`;
    const revoked = await revokeUndelivered(obtained, vault, ctx.log);
    return { ok: false, refusal: { reason: "write-failed", error: `${written}${revoked}` } };
  }
  return { ok: true, confirmation: confirmationOf(obtained), paths: files.map((file) => file.path) };
}

export async function exchangePush(
  push: PushRequest,
  ctx: ExchangeContext,
  slot: ExchangeSlot = FREE_SLOT,
): Promise<ExchangeOutcome> {
  const { settings } = ctx;
  const addrRefusal = checkVaultAddr(settings.pinnedVaultAddr, push.vaultAddr);
  if (addrRefusal) return { ok: false, refusal: addrRefusal };
  const target = {
    addr: settings.pinnedVaultAddr ?? push.vaultAddr,
    caPem: vaultCaBundle(decodeVaultCAs(push), settings.vaultCaPem, ctx.pushAuthenticated),
  };
  const vault = ctx.openVault(target);
  try {
    const info = await verify(push, vault, ctx, slot);
    const busy = slot.claim();
    if (busy) return { ok: false, refusal: busy };
    const obtained = await obtain(push, info, vault, ctx);
    const fileContext = { ...settings, vaultAddr: target.addr, caPem: target.caPem };
    const outcome = await deliver(obtained, credentialFiles(obtained, fileContext), vault, ctx);
    if (!outcome.ok || !ctx.keepToken || obtained.mode !== "token") return outcome;
    const { login, secretIdAccessor } = obtained;
    return { ...outcome, held: { login, secretIdAccessor, target, files: fileContext } };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, refusal: error.refusal };
    return { ok: false, refusal: { reason: "vault-unavailable", error: describeFailure(error) } };
  } finally {
    vault.close();
  }
}
