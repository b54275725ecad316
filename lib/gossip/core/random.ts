/** Choices the core makes with its injected random source (never Math.random), so runs replay from a seed. */
import type { RandomSource } from "./types.ts";

/** Fisher-Yates, in place; returns the same array. */
export function shuffle<T>(random: RandomSource, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export function pick<T>(random: RandomSource, items: readonly T[]): T | undefined {
  return items[Math.floor(random.next() * items.length)];
}
