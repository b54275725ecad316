/**
 * The only source of randomness the core sees (randomized election timeouts). Hosts inject it so a
 * simulation replays exactly from a seed; production hosts may seed from crypto.getRandomValues.
 */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: tiny, fast and good enough for timeouts and fault injection (not for secrets). */
export function createSeededRandom(seed: number): RandomSource & { int(bound: number): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (bound: number) => Math.floor(next() * bound) };
}
