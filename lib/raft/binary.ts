/**
 * Minimal binary writer/reader shared by the storage files and the wire format. Numbers are float64
 * (exact for integers below 2^53), byte strings and text are length-prefixed. The reader validates as
 * it goes and names the place and field on failure.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export class Writer {
  private readonly parts: Uint8Array[] = [];
  number(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.parts.push(bytes);
    return this;
  }
  bytes(value: Uint8Array): this {
    this.number(value.length);
    this.parts.push(value);
    return this;
  }
  text(value: string): this {
    return this.bytes(encoder.encode(value));
  }
  finish(): Uint8Array {
    const total = this.parts.reduce((sum, part) => sum + part.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

export class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(
    private readonly payload: Uint8Array,
    private readonly where: string,
  ) {
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  count(field: string): number {
    if (this.offset + 8 > this.payload.length) throw this.fail(field, "is truncated");
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    if (!Number.isSafeInteger(value) || value < 0)
      throw this.fail(field, `must be a non-negative integer, got ${value}`);
    return value;
  }
  bytes(field: string): Uint8Array {
    const length = this.count(`${field} length`);
    if (this.offset + length > this.payload.length) throw this.fail(field, "is truncated");
    const value = this.payload.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  text(field: string): string {
    try {
      return decoder.decode(this.bytes(field));
    } catch (error) {
      throw error instanceof Error && error.message.startsWith("raft storage")
        ? error
        : this.fail(field, "is not UTF-8");
    }
  }
  end(): void {
    if (this.offset !== this.payload.length) throw this.fail("record", "has trailing bytes");
  }
  fail(field: string, problem: string): Error {
    return new Error(`raft: ${this.where}: ${field} ${problem}`);
  }
}
