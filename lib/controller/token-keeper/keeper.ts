/**
 * The token keeper: checks the controller's Vault token at start, then keeps it alive.
 *
 * Contract:
 * - `startTokenKeeper` looks the token up; it rejects with TokenRefusedError (root, not renewable, not periodic,
 *   explicit max TTL, a token role with no period or a max TTL) or TokenLookupError (Vault unreachable or the token
 *   invalid). The caller turns either into a clear message and a non-zero exit.
 * - Renews at half the TTL; failures retry with jittered back-off (schedule.ts). Every failure is logged, at error
 *   level once the token is in danger, naming the time left and what happens at expiry.
 * - `remainingTtlMs()` is what the TTL gauge reports. All timing uses the injected Clock.
 */
import type { Logger } from "../../log/index.ts";
import type { Clock, Random, TimerHandle } from "../support/clock.ts";
import { errorMessage } from "../support/errors.ts";
import {
  type ControllerTokenInfo,
  effectivePeriodSeconds,
  TokenRefusedError,
  type TokenRoleInfo,
  tokenProblems,
} from "./rules.ts";
import { delayAfterFailure, delayAfterRenewal, expiryAlarm } from "./schedule.ts";

export interface TokenVault {
  lookupSelf(): Promise<ControllerTokenInfo>;
  renewSelf(): Promise<{ ttlSeconds: number }>;
  readTokenRole(role: string): Promise<TokenRoleInfo>;
}

export interface TokenMetrics {
  renewalAttempted(): void;
  renewalFailed(): void;
  /** The token's remaining TTL after each lookup or renewal attempt (lib/metrics' recorder has it). */
  tokenTtl?(seconds: number): void;
}

export interface TokenKeeperOptions {
  vault: TokenVault;
  clock: Clock;
  random: Random;
  log: Logger;
  metrics: TokenMetrics;
}

export interface TokenKeeper {
  remainingTtlMs(): number;
  token(): ControllerTokenInfo;
  stop(): void;
}

export class TokenLookupError extends Error {
  constructor(detail: string) {
    super(
      `cannot look up the controller's Vault token (VAULT_TOKEN) at VAULT_ADDR: ${detail}. Check that Vault is reachable and that the token is valid.`,
    );
    this.name = "TokenLookupError";
  }
}

async function readRole(options: TokenKeeperOptions, role: string): Promise<TokenRoleInfo | undefined> {
  try {
    return await options.vault.readTokenRole(role);
  } catch (error) {
    options.log.warn(
      `cannot read token role "${role}"; checking the token's own period and max TTL instead. Grant the controller 'read' on auth/token/roles/${role} to have the role checked too.`,
      { error: errorMessage(error) },
    );
    return undefined;
  }
}

export async function startTokenKeeper(options: TokenKeeperOptions): Promise<TokenKeeper> {
  const { vault, clock, random, log, metrics } = options;
  let info: ControllerTokenInfo;
  try {
    info = await vault.lookupSelf();
  } catch (error) {
    throw new TokenLookupError(errorMessage(error));
  }
  const role = info.role ? await readRole(options, info.role) : undefined;
  const problems = tokenProblems(info, role);
  if (problems.length > 0) throw new TokenRefusedError(problems);

  // From here on the token's period is the one renewals really get, its role's when it has none of its own.
  info = { ...info, periodSeconds: effectivePeriodSeconds(info, role) };
  const periodMs = info.periodSeconds * 1000;
  let expiresAt = clock.now() + info.ttlSeconds * 1000;
  let failures = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (!stopped) timer = clock.setTimer(() => void renew(), delayMs);
  };

  const reportTtl = () => metrics.tokenTtl?.(Math.max(0, Math.round((expiresAt - clock.now()) / 1000)));

  const renew = async () => {
    metrics.renewalAttempted();
    try {
      const { ttlSeconds } = await vault.renewSelf();
      expiresAt = clock.now() + ttlSeconds * 1000;
      if (failures > 0) log.info("Vault token renewed again after failures", { failures, ttlSeconds });
      failures = 0;
      reportTtl();
      schedule(delayAfterRenewal(ttlSeconds * 1000));
    } catch (error) {
      metrics.renewalFailed();
      const remainingMs = expiresAt - clock.now();
      reportTtl();
      const alarm = expiryAlarm(remainingMs, periodMs);
      const fields = {
        error: errorMessage(error),
        failures: failures + 1,
        remainingTtlSeconds: Math.round(remainingMs / 1000),
      };
      const consequence =
        "when it expires the controller can no longer mint secret_ids and cannot log in again: fix Vault connectivity or give the controller a new VAULT_TOKEN and restart it";
      if (alarm === "expired") log.error(`the controller's Vault token has EXPIRED; ${consequence}`, fields);
      else if (alarm === "danger")
        log.error(`the controller's Vault token expires soon and cannot be renewed; ${consequence}`, fields);
      else log.warn("renewing the controller's Vault token failed; retrying with back-off", fields);
      schedule(delayAfterFailure(failures++, remainingMs, random));
    }
  };

  log.info("controller Vault token accepted", {
    policies: info.policies,
    periodSeconds: info.periodSeconds,
    ttlSeconds: info.ttlSeconds,
  });
  reportTtl();
  schedule(delayAfterRenewal(info.ttlSeconds * 1000));
  return {
    remainingTtlMs: () => Math.max(0, expiresAt - clock.now()),
    token: () => info,
    stop() {
      stopped = true;
      if (timer) clock.clearTimer(timer);
    },
  };
}
