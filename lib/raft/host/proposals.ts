/**
 * Proposals on their way to being applied, in two stages.
 * - ProposalQueue: proposals made while a Ready cycle is in flight. The loop takes them all when it comes round and
 *   proposes them as few entries as the batch cap allows (group commit, batch.ts).
 * - PendingProposals: proposals in the log, waiting for their entry to be applied locally. Each entry is keyed by
 *   log index and remembers the term it was proposed in: the entry applied at that index either carries the same
 *   term (ours: each proposer gets its own command's result, in order) or another one (our entry was overwritten by
 *   another leader's: reject every proposer in it).
 * Losing leadership rejects both stages, since whether they commit is then unknown and the caller must re-read the
 * ledger under the next leader.
 */
export interface Waiter<R> {
  readonly started: number;
  resolve(result: R): void;
  reject(error: Error): void;
}

const settle = <R>(waiters: readonly Waiter<R>[], error: () => Error): void => {
  for (const waiter of waiters) waiter.reject(error());
};

export class ProposalQueue<R> {
  private commands: Uint8Array[] = [];
  private waiters: Waiter<R>[] = [];

  get size(): number {
    return this.commands.length;
  }

  push(data: Uint8Array, started: number): Promise<R> {
    this.commands.push(data);
    return new Promise<R>((resolve, reject) => this.waiters.push({ started, resolve, reject }));
  }

  /** Everything queued, in the order proposed; the queue is empty afterwards. */
  take(): { commands: Uint8Array[]; waiters: Waiter<R>[] } {
    const taken = { commands: this.commands, waiters: this.waiters };
    this.commands = [];
    this.waiters = [];
    return taken;
  }

  rejectAll(error: () => Error): void {
    settle(this.take().waiters, error);
  }
}

export class PendingProposals<R> {
  private readonly waiting = new Map<number, { term: number; waiters: readonly Waiter<R>[] }>();

  /** Entries (not proposers) waiting. */
  get size(): number {
    return this.waiting.size;
  }

  add(index: number, term: number, waiters: readonly Waiter<R>[]): void {
    this.waiting.set(index, { term, waiters });
  }

  /**
   * Settles the proposers of the entry at `index`, if any: with `results` (one per command, in order) when the
   * entry is ours, else with `lost()`; with `results` itself when it is an Error (the entry could not be applied).
   * Returns when each resolved proposer proposed (for latency).
   */
  applied(index: number, term: number, results: readonly R[] | Error, lost: () => Error): number[] {
    const pending = this.waiting.get(index);
    if (pending === undefined) return [];
    this.waiting.delete(index);
    if (pending.term !== term) {
      settle(pending.waiters, lost);
      return [];
    }
    if (results instanceof Error || results.length !== pending.waiters.length) {
      const error =
        results instanceof Error
          ? results
          : new Error(
              `raft: entry ${index} held ${results.length} commands, ${pending.waiters.length} proposed`,
            );
      settle(pending.waiters, () => error);
      return [];
    }
    return pending.waiters.map((waiter, i) => {
      waiter.resolve(results[i] as R);
      return waiter.started;
    });
  }

  rejectAll(error: () => Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const pending of all) settle(pending.waiters, error);
  }
}
