/**
 * Pod IPs: every pod gets its own loopback address under a prefix ("127.1" -> 127.1.x.y), never shared by two live
 * pods. Addresses are handed out in order and a released one is reused only after the pool wraps, so a deleted
 * pod's address does not immediately reappear on a new pod (stale connections then fail loudly, not silently).
 */
export class IpPool {
  private readonly base: number[];
  private readonly size: number;
  private cursor = 0;
  private readonly inUse = new Set<string>();

  constructor(prefix: string) {
    this.base = prefix.split(".").map(Number);
    if (
      this.base.length < 1 ||
      this.base.length > 3 ||
      this.base.some((octet) => !(octet >= 0 && octet <= 255))
    )
      throw new Error(`podIpPrefix ${JSON.stringify(prefix)} must be one to three IPv4 octets, e.g. "127.1"`);
    this.size = 256 ** (4 - this.base.length);
  }

  private address(offset: number): string {
    const free = 4 - this.base.length;
    const octets = [...this.base];
    for (let i = free - 1; i >= 0; i--) octets.push(Math.floor(offset / 256 ** i) % 256);
    return octets.join(".");
  }

  allocate(): string {
    for (let tries = 0; tries < this.size; tries++) {
      this.cursor = (this.cursor + 1) % this.size;
      const last = this.cursor % 256;
      // .0 and .255 look like network and broadcast addresses; skip them to avoid confusing anyone.
      if (last === 0 || last === 255) continue;
      const candidate = this.address(this.cursor);
      if (!this.inUse.has(candidate)) {
        this.inUse.add(candidate);
        return candidate;
      }
    }
    throw new Error("the pod IP pool is exhausted");
  }

  release(address: string): void {
    this.inUse.delete(address);
  }
}
