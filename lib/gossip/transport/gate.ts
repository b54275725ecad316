/**
 * Admission of inbound push-pull streams: at most `maxTotal` open at once and at most `maxPerHost` from one source
 * IP. A connection past either bound is refused on accept (the caller destroys it and counts the reason), so what
 * unauthenticated streams can make us buffer is bounded before a byte is read. Pure: the transport owns sockets.
 */
export type StreamRefusal = "streamLimit" | "streamLimitHost";

export class StreamGate {
  private total = 0;
  private readonly byHost = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerHost: number,
  ) {}

  get open(): number {
    return this.total;
  }

  /** Takes a slot for `host`, or says which bound refuses it (the per-host one first: it names the culprit). */
  admit(host: string): StreamRefusal | undefined {
    const fromHost = this.byHost.get(host) ?? 0;
    if (fromHost >= this.maxPerHost) return "streamLimitHost";
    if (this.total >= this.maxTotal) return "streamLimit";
    this.total++;
    this.byHost.set(host, fromHost + 1);
    return undefined;
  }

  /** Gives back a slot `admit` granted; call exactly once per admitted stream. */
  release(host: string): void {
    const fromHost = this.byHost.get(host) ?? 0;
    if (fromHost <= 0) return;
    this.total--;
    if (fromHost === 1) this.byHost.delete(host);
    else this.byHost.set(host, fromHost - 1);
  }
}
