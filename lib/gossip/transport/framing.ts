/**
 * Stream framing for reliable sends: a 4-byte big-endian length, then the bytes; one frame per connection.
 * The reader refuses a declared length over the limit before buffering it, and a stream that ends early.
 */
export function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

export type FrameResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "frameTooLarge" | "truncatedFrame" };

/** Accumulates chunks of one connection; `push` returns a verdict once the frame is complete or refused. */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private received = 0;
  private expected: number | undefined;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array): FrameResult | undefined {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.expected === undefined && this.received >= 4) {
      const head = this.concat();
      this.expected = new DataView(head.buffer, head.byteOffset).getUint32(0);
      if (this.expected > this.maxBytes) return { ok: false, reason: "frameTooLarge" };
    }
    if (this.expected !== undefined && this.received > 4 + this.expected)
      return { ok: false, reason: "truncatedFrame" };
    return undefined;
  }

  /** Called at end of stream: the frame if it is exactly complete. */
  finish(): FrameResult {
    if (this.expected === undefined || this.received !== 4 + this.expected)
      return { ok: false, reason: "truncatedFrame" };
    return { ok: true, bytes: this.concat().slice(4) };
  }

  private concat(): Uint8Array {
    if (this.chunks.length === 1 && this.chunks[0]) return this.chunks[0];
    const all = new Uint8Array(this.received);
    let offset = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [all];
    return all;
  }
}
