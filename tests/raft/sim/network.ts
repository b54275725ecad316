/**
 * Simulated network for the Raft tests: a queue of in-flight messages delivered by simulated tick,
 * with seeded faults (drop, duplicate, delay, reorder) and partitions (cut, isolate, split, heal).
 * Everything is driven by the injected random source, so a run replays exactly from its seed.
 */
import type { Message, NodeId } from "../../../lib/raft/index.ts";

export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice. */
  readonly duplicateRate: number;
  /** Each copy is delayed by 0..maxDelay ticks; different delays reorder messages. */
  readonly maxDelay: number;
}

export const NO_FAULTS: NetworkFaults = { dropRate: 0, duplicateRate: 0, maxDelay: 0 };

interface InFlight {
  readonly message: Message;
  readonly deliverAt: number;
  readonly sequence: number;
}

export interface SimRandom {
  next(): number;
  int(bound: number): number;
}

export class SimNetwork {
  now = 0;
  faults: NetworkFaults = NO_FAULTS;
  /** Tests may inspect or veto single messages: return false to drop. */
  intercept: ((message: Message) => boolean) | undefined = undefined;
  sent = 0;
  dropped = 0;
  private queue: InFlight[] = [];
  private sequence = 0;
  private readonly cuts = new Set<string>();

  constructor(private readonly random: SimRandom) {}

  send(message: Message): void {
    this.sent++;
    if (this.isCut(message.from, message.to) || (this.intercept !== undefined && !this.intercept(message))) {
      this.dropped++;
      return;
    }
    if (this.faults.dropRate > 0 && this.random.next() < this.faults.dropRate) {
      this.dropped++;
      return;
    }
    const copies = this.faults.duplicateRate > 0 && this.random.next() < this.faults.duplicateRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.faults.maxDelay > 0 ? this.random.int(this.faults.maxDelay + 1) : 0;
      this.queue.push({ message, deliverAt: this.now + delay, sequence: this.sequence++ });
    }
  }

  /** Removes and returns the messages due now, oldest first. A cut made after sending still drops them. */
  takeDue(): Message[] {
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const item of this.queue) (item.deliverAt <= this.now ? due : later).push(item);
    this.queue = later;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.sequence - b.sequence);
    const delivered: Message[] = [];
    for (const { message } of due) {
      if (this.isCut(message.from, message.to)) this.dropped++;
      else delivered.push(message);
    }
    return delivered;
  }

  pending(): number {
    return this.queue.length;
  }

  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}|${b}`);
    this.cuts.add(`${b}|${a}`);
  }

  isolate(id: NodeId, everyone: readonly NodeId[]): void {
    for (const other of everyone) if (other !== id) this.cut(id, other);
  }

  /** Nodes in different groups cannot talk; nodes in no group talk to nobody in a group. */
  split(groups: readonly (readonly NodeId[])[]): void {
    for (const [i, group] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i === j) continue;
        for (const a of group) for (const b of other) this.cut(a, b);
      }
    }
  }

  heal(): void {
    this.cuts.clear();
  }

  isCut(a: NodeId, b: NodeId): boolean {
    return this.cuts.has(`${a}|${b}`);
  }

  partitioned(): boolean {
    return this.cuts.size > 0;
  }
}
