/**
 * The certificate keeper: holds a TLS certificate issued by Vault PKI (VAULT_CA_BACKEND / VAULT_CA_ROLE) and renews
 * it at half-life, so the push client certificate and the metrics server certificate never need a restart.
 *
 * Contract:
 * - `startCertificateKeeper` issues the first certificate or rejects with CertificateIssueError (clear message, no
 *   stack trace needed): the controller cannot push without one.
 * - Renews at notBefore + half the lifetime; failures retry with jittered back-off, denser as expiry nears, logged at
 *   error level once less than a quarter of the lifetime is left.
 * - `current()` always answers the newest certificate; listeners added with `onRenew` get each new one (e.g. a server's
 *   rotateTls). A listener that throws is logged, never allowed to stop renewal.
 */
import type { Logger } from "../../log/index.ts";
import type { Clock, Random, TimerHandle } from "../support/clock.ts";
import { errorMessage } from "../support/errors.ts";
import type { TokenMetrics } from "../token-keeper/index.ts";
import { delayAfterFailure, expiryAlarm } from "../token-keeper/schedule.ts";

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** The issuing CA chain, for peers that must trust it. */
  caPem?: string;
  notBefore: number;
  notAfter: number;
}

export interface CertificateKeeperOptions {
  /** What the certificate is for, in logs ("push client certificate"). */
  purpose: string;
  issue: () => Promise<IssuedCertificate>;
  clock: Clock;
  random: Random;
  log: Logger;
  metrics: TokenMetrics;
}

export interface CertificateKeeper {
  current(): IssuedCertificate;
  onRenew(listener: (certificate: IssuedCertificate) => void | Promise<void>): () => void;
  stop(): void;
}

export class CertificateIssueError extends Error {
  constructor(purpose: string, detail: string) {
    super(
      `cannot obtain the ${purpose} from Vault PKI: ${detail}. Check VAULT_CA_BACKEND and VAULT_CA_ROLE, and that the controller's Vault policy allows 'update' on <VAULT_CA_BACKEND>/issue/<VAULT_CA_ROLE>.`,
    );
    this.name = "CertificateIssueError";
  }
}

export function renewalDueAt(certificate: Pick<IssuedCertificate, "notBefore" | "notAfter">): number {
  return certificate.notBefore + (certificate.notAfter - certificate.notBefore) / 2;
}

export async function startCertificateKeeper(options: CertificateKeeperOptions): Promise<CertificateKeeper> {
  const { clock, log, metrics, purpose } = options;
  let certificate: IssuedCertificate;
  metrics.renewalAttempted();
  try {
    certificate = await options.issue();
  } catch (error) {
    metrics.renewalFailed();
    throw new CertificateIssueError(purpose, errorMessage(error));
  }
  const listeners = new Set<(certificate: IssuedCertificate) => void | Promise<void>>();
  let timer: TimerHandle | undefined;
  let failures = 0;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (!stopped) timer = clock.setTimer(() => void renew(), Math.max(0, delayMs));
  };

  const renew = async () => {
    metrics.renewalAttempted();
    try {
      certificate = await options.issue();
      failures = 0;
      log.info(`renewed the ${purpose}`, { notAfter: new Date(certificate.notAfter).toISOString() });
      for (const listener of [...listeners]) {
        await Promise.resolve()
          .then(() => listener(certificate))
          .catch((error: unknown) =>
            log.error(`applying the renewed ${purpose} failed`, { error: errorMessage(error) }),
          );
      }
      schedule(renewalDueAt(certificate) - clock.now());
    } catch (error) {
      metrics.renewalFailed();
      const remainingMs = certificate.notAfter - clock.now();
      const alarm = expiryAlarm(remainingMs, certificate.notAfter - certificate.notBefore);
      const fields = {
        error: errorMessage(error),
        failures: failures + 1,
        remainingSeconds: Math.round(remainingMs / 1000),
      };
      if (alarm === "danger" || alarm === "expired")
        log.error(
          `the ${purpose} expires soon and cannot be renewed; pushes and TLS will fail once it expires`,
          fields,
        );
      else log.warn(`renewing the ${purpose} failed; retrying with back-off`, fields);
      schedule(delayAfterFailure(failures++, remainingMs, options.random));
    }
  };

  schedule(renewalDueAt(certificate) - clock.now());
  return {
    current: () => certificate,
    onRenew(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop() {
      stopped = true;
      if (timer) clock.clearTimer(timer);
    },
  };
}
