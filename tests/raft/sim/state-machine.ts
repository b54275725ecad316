/**
 * The simulation's replicated state machine: a running CRC32 chain over every applied entry, plus the
 * decoded Normal payloads (for tests). Two nodes with equal chains at an index applied the same
 * entries up to it; the snapshot carries the chain, so state-machine safety survives compaction.
 */
import { crc32 } from "node:zlib";
import { type Entry, EntryType, type Snapshot } from "../../../lib/raft/index.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class HashChainMachine {
  index = 0;
  chain = 0;
  /** Payloads of applied Normal entries since the last snapshot restore. */
  readonly values: string[] = [];

  apply(entry: Entry): void {
    if (entry.index !== this.index + 1) {
      throw new Error(`state machine: applying ${entry.index} after ${this.index} (gap or repeat)`);
    }
    this.chain = crc32(
      entry.data,
      crc32(encoder.encode(`${entry.index}:${entry.term}:${entry.type}`), this.chain),
    );
    this.index = entry.index;
    if (entry.type === EntryType.Normal && entry.data.length > 0)
      this.values.push(decoder.decode(entry.data));
  }

  snapshotData(): Uint8Array {
    return encoder.encode(JSON.stringify({ index: this.index, chain: this.chain }));
  }

  restore(snapshot: Snapshot): void {
    this.index = snapshot.metadata.index;
    this.values.length = 0;
    if (snapshot.data.length === 0) {
      this.chain = 0;
      return;
    }
    const parsed: unknown = JSON.parse(decoder.decode(snapshot.data));
    const chain: unknown =
      typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, "chain") : undefined;
    if (typeof chain !== "number") throw new Error("state machine: snapshot data lacks a numeric chain");
    this.chain = chain;
  }
}
