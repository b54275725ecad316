/**
 * Suspicion timing (memberlist / Lifeguard). A suspicion starts at the maximum timeout and shrinks
 * logarithmically towards the minimum as independent members confirm it, so a member that many peers cannot
 * reach is declared failed fast, while a lone accuser (perhaps with a bad link of its own) waits longest.
 *
 * min = suspicionMult × probeInterval × max(1, log10(max(1, n))); max = maxTimeoutMult × min;
 * timeout(c confirmations of k expected) = max(min, max − (max − min) × log(c + 1) / log(k + 1)).
 */

export function suspicionMinTimeoutMs(
  suspicionMult: number,
  memberCount: number,
  probeIntervalMs: number,
): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, memberCount)));
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs);
}

/** Confirmations we can hope for: none in a cluster too small to have independent witnesses. */
export function expectedConfirmations(suspicionMult: number, memberCount: number): number {
  const k = suspicionMult - 2;
  return memberCount - 2 < k ? 0 : k;
}

export function suspicionTimeoutMs(
  confirmations: number,
  expected: number,
  minMs: number,
  maxMs: number,
): number {
  if (expected < 1) return minMs;
  const fraction = Math.log(confirmations + 1) / Math.log(expected + 1);
  const raw = maxMs - fraction * (maxMs - minMs);
  return Math.max(minMs, Math.floor(raw));
}

/** One running suspicion: who accused first, who confirmed, and when it expires. */
export class Suspicion {
  private readonly confirmers = new Set<string>();

  constructor(
    readonly startedMs: number,
    private readonly accuser: string,
    private readonly expected: number,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  /** Records an independent confirmation; true only for a new confirmer (the news is then worth re-sending). */
  confirm(from: string): boolean {
    if (from === this.accuser || this.confirmers.has(from) || this.confirmers.size >= this.expected)
      return false;
    this.confirmers.add(from);
    return true;
  }

  get confirmations(): number {
    return this.confirmers.size;
  }

  deadlineMs(): number {
    return this.startedMs + suspicionTimeoutMs(this.confirmers.size, this.expected, this.minMs, this.maxMs);
  }
}
