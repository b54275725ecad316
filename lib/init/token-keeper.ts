/**
 * The sidecar's hold on its token: renews it (auth/token/renew-self) at about 2/3 of each lease, rewrites the token
 * file after every renewal, notices when renewal has ended, decides each push by its generation, and revokes the
 * token on shutdown.
 *
 * Contract:
 * - `adopt(generation, held)` takes a freshly written token (a delivered push) and answers the confirmation the
 *   controller records (mode, tokenTtlSeconds counted from now, tokenRenewable, generation). A newer generation
 *   replaces the held token; the replaced one is not revoked but left to run out (it is at the end of its life
 *   anyway, and an application may be mid-request with it).
 * - `admit(push)`: no token yet or a newer generation -> exchange; the generation held -> its confirmation, no
 *   second login (a push repeated after a controller failover); an older one -> 410 already-delivered naming both.
 * - Standing: "valid" while renewals are expected to extend the lease; "expiring" once they cannot (Vault granted
 *   less than asked, which it does only at the token's max TTL, or said not renewable, or refused a renewal with a
 *   4xx other than 403); "none" after the lease ran out, a 403 (the token is revoked), or before the first token.
 *   A renewal Vault did not answer (unreachable, 5xx) is retried with back-off while the lease lasts.
 * - The file is written only through `write`, one write at a time; a renewal never overwrites the file of a token
 *   delivered after it (a renewal that finishes after a re-issue wrote the file is dropped).
 * - `shutdown()` stops renewing, revokes the token with itself (unless known dead) and removes the token file: a
 *   revoked token left on disk would only mislead a reader, and native sidecars are stopped after the app
 *   containers, so no reader is left. ca.crt stays (it is no secret). Never logs a token; logs accessors.
 */
import { stat, unlink } from "node:fs/promises";
import type { Logger } from "../log/index.ts";
import type { PushConfirmation, PushRequest, TokenStatus } from "../push/index.ts";
import type { Admission } from "./app.ts";
import type { WriteFiles } from "./atomic-write.ts";
import { credentialFiles } from "./credentials.ts";
import type { HeldCredentials } from "./exchange.ts";
import { type OpenVault, type TokenLease, type VaultAccess, VaultCallError } from "./vault-access.ts";

/** Renew at 2/3 of the lease, minus up to this share of that point, so a fleet's renewals do not line up. */
export const RENEW_AT = 2 / 3;
export const RENEW_JITTER = 0.1;
/** Back-off of a renewal Vault did not answer: from the first to the largest delay (each with jitter). */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** setTimeout fires at once beyond 2^31-1 ms (24.8 days); a 32-day lease is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type Standing = TokenStatus["token"];

export interface TokenKeeperDeps {
  openVault: OpenVault;
  writeFiles: WriteFiles;
  log: Logger;
  /** Uniform in [0, 1): the jitter. */
  random?: () => number;
  /** Milliseconds on a monotonic clock. */
  clock?: () => number;
  /** Reports each renewal Vault answered, for tests and metrics. */
  onRenewed?(lease: TokenLease, generation: number): void;
  onStanding?(standing: Standing, generation: number): void;
}

export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface TokenKeeper {
  adopt(generation: number, held: HeldCredentials): PushConfirmation;
  admit(push: PushRequest): Admission;
  status(): TokenStatus;
  readiness(): Promise<Readiness>;
  /** Every credential write goes through here (the exchange's too): one at a time, renewals never overwriting. */
  write: WriteFiles;
  /** Renewals Vault answered for the token held now. */
  renewals(): number;
  shutdown(): Promise<void>;
}

interface Holding {
  generation: number;
  held: HeldCredentials;
  vault: VaultAccess;
  /** The increment every renewal asks for: the lease the login granted (the role's token_ttl). */
  increment: number;
  expiresAt: number;
  renewable: boolean;
  standing: Standing;
  /** Why renewal ended, for /ready and the logs. */
  ended?: string;
  /** The credential writes counted when this token was written; a later one means a newer token is on disk. */
  epoch: number;
  timer?: ReturnType<typeof setTimeout>;
  renewals: number;
  failures: number;
}

function defaultRandom(): number {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
  return value / 2 ** 32;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createTokenKeeper(deps: TokenKeeperDeps): TokenKeeper {
  const random = deps.random ?? defaultRandom;
  const clock = deps.clock ?? (() => performance.now());
  const log = deps.log;
  let current: Holding | undefined;
  let stopped = false;
  let epoch = 0;
  let writing: Promise<unknown> = Promise.resolve();

  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = writing.then(work, work);
    writing = next.catch(() => undefined);
    return next;
  };
  const remainingSeconds = (h: Holding) => Math.max(0, Math.floor((h.expiresAt - clock()) / 1000));
  const alive = (h: Holding) => h.standing !== "none" && clock() < h.expiresAt;

  const arm = (h: Holding, delayMs: number, then: () => void) => {
    clearTimeout(h.timer);
    const step = Math.min(Math.max(0, delayMs), MAX_TIMER_MS);
    const due = clock() + delayMs;
    h.timer = setTimeout(() => (step < delayMs ? arm(h, due - clock(), then) : then()), step);
  };
  const setStanding = (h: Holding, standing: Standing, why?: string) => {
    if (h.standing === standing) return;
    h.standing = standing;
    if (why) h.ended = why;
    const fields = { tokenAccessor: h.held.login.accessor, generation: h.generation };
    if (standing === "none")
      log.warn(`the token is no longer usable: ${why}; waiting for a re-issue`, fields);
    else if (standing === "expiring")
      log.warn(`the token can no longer be renewed: ${why}; it stays valid until its lease ends`, {
        ...fields,
        ttl_s: remainingSeconds(h),
      });
    deps.onStanding?.(standing, h.generation);
  };
  const expireAtLeaseEnd = (h: Holding) =>
    arm(h, h.expiresAt - clock(), () => setStanding(h, "none", h.ended ?? "its lease ran out"));
  const scheduleRenewal = (h: Holding) => {
    const leaseMs = h.expiresAt - clock();
    arm(h, leaseMs * RENEW_AT * (1 - RENEW_JITTER * random()), () => void renew(h));
  };

  const rewrite = (h: Holding, lease: TokenLease) =>
    serially(async () => {
      if (current !== h || stopped || epoch !== h.epoch) return;
      const obtained = {
        mode: "token" as const,
        login: { ...h.held.login, leaseDuration: lease.leaseDuration, renewable: lease.renewable },
        secretIdAccessor: h.held.secretIdAccessor,
      };
      const tokenPath = h.held.files.tokenPath;
      await deps.writeFiles(credentialFiles(obtained, h.held.files).filter((f) => f.path === tokenPath));
    });

  const renewed = async (h: Holding, lease: TokenLease) => {
    h.expiresAt = clock() + lease.leaseDuration * 1000;
    h.renewable = lease.renewable;
    h.renewals += 1;
    h.failures = 0;
    deps.onRenewed?.(lease, h.generation);
    try {
      await rewrite(h, lease);
    } catch (error) {
      log.error("could not rewrite the token file after a renewal; it keeps the previous lease", {
        error: describe(error),
      });
    }
    if (current !== h || stopped) return;
    log.info("token renewed", {
      tokenAccessor: h.held.login.accessor,
      generation: h.generation,
      lease_s: lease.leaseDuration,
      renewals: h.renewals,
    });
    if (lease.leaseDuration === 0)
      setStanding(h, "none", "Vault renewed it for 0 s (its max TTL is reached)");
    else if (!lease.renewable) {
      setStanding(h, "expiring", "Vault says it is not renewable");
      expireAtLeaseEnd(h);
    } else if (lease.leaseDuration < h.increment) {
      setStanding(
        h,
        "expiring",
        `Vault granted ${lease.leaseDuration} s of the ${h.increment} s asked (its max TTL is reached)`,
      );
      expireAtLeaseEnd(h);
    } else scheduleRenewal(h);
  };

  const renew = async (h: Holding) => {
    if (current !== h || stopped || !alive(h)) return;
    let lease: TokenLease;
    try {
      lease = await h.vault.renewSelf(h.held.login.clientToken, h.increment);
    } catch (error) {
      if (current !== h || stopped) return;
      const refused = error instanceof VaultCallError && error.refused;
      if (refused) {
        const revoked = error.status === 403;
        if (revoked) setStanding(h, "none", `Vault refused the renewal (${describe(error)})`);
        else {
          setStanding(h, "expiring", `Vault refused the renewal (${describe(error)})`);
          expireAtLeaseEnd(h);
        }
        return;
      }
      h.failures += 1;
      const window = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (h.failures - 1));
      const delay = window / 2 + (window / 2) * random();
      const left = h.expiresAt - clock();
      log.warn("renewing the token failed; retrying", {
        error: describe(error),
        retry_ms: Math.round(Math.min(delay, Math.max(0, left))),
        lease_left_ms: Math.round(left),
      });
      if (delay < left) arm(h, delay, () => void renew(h));
      else expireAtLeaseEnd(h);
      return;
    }
    if (current !== h || stopped) return;
    await renewed(h, lease);
  };

  const confirmation = (h: Holding): PushConfirmation => ({
    tokenAccessor: h.held.login.accessor,
    secretIdAccessor: h.held.secretIdAccessor,
    mode: "sidecar",
    tokenTtlSeconds: alive(h) ? remainingSeconds(h) : 0,
    tokenRenewable: alive(h) && h.standing === "valid" && h.renewable,
    generation: h.generation,
  });

  const release = (h: Holding) => {
    clearTimeout(h.timer);
    h.vault.close();
  };

  return {
    write: (files) =>
      serially(async () => {
        await deps.writeFiles(files);
        epoch += 1;
      }),
    adopt(generation, held) {
      const previous = current;
      if (previous) {
        release(previous);
        log.info("a newer generation replaces the token held; the old one is left to run out", {
          tokenAccessor: previous.held.login.accessor,
          generation: previous.generation,
          newGeneration: generation,
        });
      }
      const h: Holding = {
        generation,
        held,
        vault: deps.openVault(held.target),
        increment: held.login.leaseDuration,
        expiresAt: clock() + held.login.leaseDuration * 1000,
        renewable: held.login.renewable,
        standing: "valid",
        epoch,
        renewals: 0,
        failures: 0,
      };
      current = h;
      if (held.login.leaseDuration === 0) {
        // A token without a lease (a root-like token) never expires: nothing to renew.
        h.expiresAt = Number.POSITIVE_INFINITY;
      } else if (!held.login.renewable) {
        setStanding(h, "expiring", "Vault issued it as not renewable");
        expireAtLeaseEnd(h);
      } else scheduleRenewal(h);
      deps.onStanding?.(h.standing, generation);
      return confirmation(h);
    },
    admit(push) {
      const generation = push.generation ?? 0;
      const h = current;
      if (!h || generation > h.generation) return { kind: "exchange" };
      if (generation === h.generation) return { kind: "confirm", confirmation: confirmation(h) };
      return {
        kind: "refuse",
        refusal: {
          reason: "already-delivered",
          error: `generation ${generation} is older than generation ${h.generation}, which this sidecar already holds; push generation ${h.generation + 1} or higher for a new token`,
        },
      };
    },
    status() {
      const h = current;
      if (!h) return { mode: "sidecar", token: "none", ttlSeconds: 0, renewable: false };
      const live = alive(h);
      return {
        mode: "sidecar",
        token: live ? h.standing : "none",
        ttlSeconds: live ? Math.min(remainingSeconds(h), 2 ** 31) : 0,
        renewable: live && h.standing === "valid" && h.renewable,
        generation: h.generation,
      };
    },
    async readiness() {
      const h = current;
      if (!h) return { ready: false, reason: "no token yet: waiting for the controller's push" };
      if (!alive(h))
        return {
          ready: false,
          reason: `no valid token: ${h.ended ?? "its lease ran out"}; waiting for a re-issue`,
        };
      try {
        await stat(h.held.files.tokenPath);
      } catch {
        return { ready: false, reason: `the token file ${h.held.files.tokenPath} is missing` };
      }
      return { ready: true, reason: `token valid for ${remainingSeconds(h)} s (generation ${h.generation})` };
    },
    renewals: () => current?.renewals ?? 0,
    async shutdown() {
      if (stopped) return;
      stopped = true;
      const h = current;
      if (!h) return;
      clearTimeout(h.timer);
      const fields = { tokenAccessor: h.held.login.accessor, generation: h.generation };
      if (alive(h)) {
        try {
          await h.vault.revokeSelf(h.held.login.clientToken);
          log.info("revoked the token on shutdown", fields);
        } catch (error) {
          log.error("could not revoke the token on shutdown; it stays valid until its lease ends", {
            ...fields,
            error: describe(error),
          });
        }
      }
      h.standing = "none";
      h.ended = "the sidecar stopped and revoked it";
      await serially(() => unlink(h.held.files.tokenPath)).catch(() => undefined);
      h.vault.close();
    },
  };
}
