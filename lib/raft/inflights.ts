/**
 * Flow control for one follower in Replicate state: the last indexes of the Append messages sent
 * but not yet acknowledged, oldest first, bounded by `capacity`. Full means "stop sending".
 */
export class Inflights {
  private readonly lastIndexes: number[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`raft: maxInflight must be a positive integer, got ${capacity}`);
    }
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error("raft: inflights.add on a full window (caller must check full())");
    this.lastIndexes.push(lastIndex);
  }

  /** An acknowledgement up to `index` frees every message that ended at or before it. */
  freeLE(index: number): void {
    let freed = 0;
    while (freed < this.lastIndexes.length && (this.lastIndexes[freed] ?? 0) <= index) freed++;
    this.lastIndexes.splice(0, freed);
  }

  /** A heartbeat response proves the follower is alive: let one more message out. */
  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}
