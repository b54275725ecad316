/**
 * Proposals waiting for their entry to be applied locally. Each is keyed by log index and remembers the term it was
 * proposed in: the entry applied at that index either carries the same term (ours: resolve with the state machine's
 * result) or another one (our entry was overwritten by another leader's: reject). Losing leadership rejects them
 * all, since whether they commit is then unknown and the caller must re-read the ledger under the next leader.
 */
export class PendingProposals<R> {
  private readonly waiting = new Map<
    number,
    { term: number; started: number; resolve: (result: R) => void; reject: (error: Error) => void }
  >();

  get size(): number {
    return this.waiting.size;
  }

  add(index: number, term: number, started: number): Promise<R> {
    return new Promise<R>((resolve, reject) => this.waiting.set(index, { term, started, resolve, reject }));
  }

  /** Settles the proposal at `index`, if any; returns when it was proposed (for latency) when it was ours. */
  applied(index: number, term: number, result: R, lost: () => Error): number | undefined {
    const pending = this.waiting.get(index);
    if (pending === undefined) return undefined;
    this.waiting.delete(index);
    if (pending.term === term) {
      pending.resolve(result);
      return pending.started;
    }
    pending.reject(lost());
    return undefined;
  }

  rejectAll(error: () => Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const pending of all) pending.reject(error());
  }
}
