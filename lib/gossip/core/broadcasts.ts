/**
 * The transmit-limited news queue (memberlist's TransmitLimitedQueue). News about a member replaces any older
 * news about the same member; `take` hands out the least-sent items first (newest first among equals) that fit
 * a byte budget, and an item is retired after RETRANSMIT_MULT × ceil(log10(n + 1)) sends, enough for it to
 * reach every member with high probability while keeping packets small.
 */
import type { News } from "../wire/messages.ts";

interface Item {
  readonly news: News;
  readonly id: number;
  transmits: number;
}

export function retransmitLimit(retransmitMult: number, memberCount: number): number {
  return retransmitMult * Math.ceil(Math.log10(memberCount + 1));
}

export class BroadcastQueue {
  private readonly items = new Map<string, Item>();
  private nextId = 0;

  constructor(private readonly retransmitMult: number) {}

  /** Queues news about `news.name`, invalidating whatever was queued about that member before. */
  push(news: News): void {
    this.items.set(news.name, { news, id: this.nextId++, transmits: 0 });
  }

  get size(): number {
    return this.items.size;
  }

  /** Items in send order, for tests and diagnostics. */
  peek(): News[] {
    return this.ordered().map((item) => item.news);
  }

  /**
   * Takes news costing at most `budget` bytes in total (cost from `costOf`), counts a transmit on each, and
   * retires items that reached the limit for a cluster of `memberCount`.
   */
  take(budget: number, memberCount: number, costOf: (news: News) => number): News[] {
    const limit = retransmitLimit(this.retransmitMult, memberCount);
    const taken: News[] = [];
    let remaining = budget;
    for (const item of this.ordered()) {
      const cost = costOf(item.news);
      if (cost > remaining) continue;
      remaining -= cost;
      taken.push(item.news);
      item.transmits++;
      if (item.transmits >= limit) this.items.delete(item.news.name);
    }
    return taken;
  }

  private ordered(): Item[] {
    return [...this.items.values()].sort((a, b) => a.transmits - b.transmits || b.id - a.id);
  }
}
