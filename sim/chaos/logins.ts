/**
 * Vault's side of "exactly one confirmed token per pod": every successful AppRole login, counted by the source
 * address it came from (each fleet pod logs in from its own loopback address, and secret_ids are CIDR-bound to it).
 * It taps the Vault stand-in's request log as each request is recorded, since the log itself keeps only the newest
 * 10,000 records and a 1,000-pod run makes more. Counts only; no secret passes through here.
 */
import type { Sandbox } from "../sandbox/index.ts";

export interface LoginCounter {
  loginsFrom(address: string): number;
  total(): number;
}

const APPROLE_LOGIN = /(^|\/)approle\/login$/;

export function countLogins(sandbox: Sandbox): LoginCounter {
  const stats = sandbox.vault.stats;
  const byAddress = new Map<string, number>();
  const record = stats.record.bind(stats);
  stats.record = (entry) => {
    if (entry.status === 200 && APPROLE_LOGIN.test(entry.path))
      byAddress.set(entry.remoteAddress, (byAddress.get(entry.remoteAddress) ?? 0) + 1);
    record(entry);
  };
  return {
    loginsFrom: (address) => byAddress.get(address) ?? 0,
    total: () => [...byAddress.values()].reduce((a, b) => a + b, 0),
  };
}
