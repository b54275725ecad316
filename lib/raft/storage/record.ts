/**
 * Record framing for every file in RAFT_DIR: [u32 LE payload length][u32 LE CRC32 of payload][payload].
 * readRecords() tells a torn tail (the last record cut short by a crash mid-append, or zero fill) apart
 * from corruption in the middle of a file, which it reports with the file name and byte offset.
 */
import { crc32 } from "node:zlib";

const HEADER_BYTES = 8;

export function frameRecord(payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(framed.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  framed.set(payload, HEADER_BYTES);
  return framed;
}

export interface RecordScan {
  readonly payloads: Uint8Array[];
  /** Bytes that hold whole, valid records; anything after is a torn tail to truncate. */
  readonly validLength: number;
  readonly tornTail: boolean;
}

export class CorruptFileError extends Error {
  constructor(
    readonly file: string,
    readonly location: string,
    problem: string,
  ) {
    super(
      `raft storage: ${file} is corrupt at ${location}: ${problem}. It is not a torn tail, so it was not ` +
        "truncated. Restore the file from a backup, or move RAFT_DIR aside and re-add this node as a new member.",
    );
    this.name = "CorruptFileError";
  }
}

export function readRecords(file: string, bytes: Uint8Array): RecordScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const torn = { payloads, validLength: offset, tornTail: true };
    if (bytes.length - offset < HEADER_BYTES) return torn;
    const length = view.getUint32(offset, true);
    const checksum = view.getUint32(offset + 4, true);
    if (length === 0) {
      // Zero fill after a crash (the file grew but the data never landed) is a torn tail; a zero
      // length followed by real data is not.
      if (bytes.subarray(offset).every((byte) => byte === 0)) return torn;
      throw new CorruptFileError(file, `byte ${offset}`, "record of length 0 followed by data");
    }
    const end = offset + HEADER_BYTES + length;
    if (end > bytes.length) return torn;
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== checksum) {
      // A final record whose checksum fails (possibly followed by zero fill) was being appended
      // when the machine stopped.
      if (bytes.subarray(end).every((byte) => byte === 0)) return torn;
      throw new CorruptFileError(file, `byte ${offset}`, "CRC32 mismatch");
    }
    payloads.push(payload);
    offset = end;
  }
  return { payloads, validLength: offset, tornTail: false };
}
