/**
 * The chaos schedule: which disruption happens when (ms after the first pod is created), drawn from a seeded random
 * source so a failing run can be replayed with the same `--seed`. Pure: no clock, no I/O.
 */
import type { ChaosOptions } from "./options.ts";

export type ChaosEvent =
  | { at: number; kind: "kill-leader" }
  | { at: number; kind: "vault-outage"; ms: number }
  | { at: number; kind: "cut-watches" }
  | { at: number; kind: "sigstop"; ms: number; pick: number };

/** mulberry32: small, fast and good enough to spread events; the seed alone decides every draw. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const FIRST_EVENT_MS = 1_500;

export function chaosSchedule(
  options: Pick<
    ChaosOptions,
    "pods" | "rate" | "seed" | "leaderKills" | "killEveryS" | "vaultOutageS" | "watchCuts" | "sigstopS"
  >,
): ChaosEvent[] {
  const random = seededRandom(options.seed);
  const killGapMs = options.killEveryS * 1000;
  const events: ChaosEvent[] = [];
  let at = FIRST_EVENT_MS;
  for (let i = 0; i < options.leaderKills; i++) {
    at += killGapMs * (2 / 3 + random() * (2 / 3));
    events.push({ at: Math.round(at), kind: "kill-leader" });
  }
  // The other disruptions land anywhere while pods are created or leaders are killed.
  const windowMs = Math.max(at, (options.pods / options.rate) * 1000, 5_000);
  const somewhere = () => Math.round(FIRST_EVENT_MS + random() * (windowMs - FIRST_EVENT_MS));
  if (options.vaultOutageS > 0)
    events.push({ at: somewhere(), kind: "vault-outage", ms: options.vaultOutageS * 1000 });
  for (let i = 0; i < options.watchCuts; i++) events.push({ at: somewhere(), kind: "cut-watches" });
  if (options.sigstopS > 0)
    events.push({ at: somewhere(), kind: "sigstop", ms: options.sigstopS * 1000, pick: random() });
  return events.sort((a, b) => a.at - b.at);
}
