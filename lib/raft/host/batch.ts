/**
 * The group-commit envelope: several proposals carried by one log entry, so a burst costs one append, one fsync
 * and one replication round per Ready cycle instead of one per proposal.
 *
 * Layout (all integers unsigned 32-bit big-endian):
 *   0xFF  BATCH_VERSION  count  (length  bytes) × count
 *
 * Why 0xFF: it never occurs in UTF-8 text (RFC 3629), and every entry written before group commit is UTF-8 (the
 * ledger's commands are JSON, `{...}`), so no old single-command entry can start with it. The host keeps that true
 * from now on by never storing a proposal raw when its first byte is the marker: such a proposal always travels in
 * an envelope, even alone. So "first byte 0xFF" means "batch" for every entry, whatever the state machine's bytes.
 */

export const BATCH_MARKER = 0xff;
/** Bump when the layout changes; a replica refuses (deterministically) an envelope of a version it does not know. */
export const BATCH_VERSION = 1;
const HEADER_BYTES = 2 + 4;
const LENGTH_BYTES = 4;

/**
 * Largest envelope the host builds. A whole Append of such entries should still fit the transport's batch body
 * (RPC_BODY_LIMITS.batch, 256 KiB): at 32 KiB (~100 ledger commands of ~300 bytes) eight of them do, and a burst of
 * 3,000 commands is ~30 entries. Larger caps gain little (the fsync per Ready is the cost, not the entry count) and
 * push catch-up Appends of 64 entries into the transport's one-at-a-time bulk path sooner.
 */
export const BATCH_MAX_BYTES = 32 * 1024;

export class BatchCodecError extends Error {
  constructor(detail: string) {
    super(`raft: cannot decode a batch entry: ${detail}`);
    this.name = "BatchCodecError";
  }
}

export const isBatch = (data: Uint8Array): boolean => data.length > 0 && data[0] === BATCH_MARKER;

/** Bytes `command` adds to an envelope. */
export const batchedSize = (command: Uint8Array): number => LENGTH_BYTES + command.length;

export function encodeBatch(commands: readonly Uint8Array[]): Uint8Array {
  let size = HEADER_BYTES;
  for (const command of commands) size += batchedSize(command);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = BATCH_MARKER;
  out[1] = BATCH_VERSION;
  view.setUint32(2, commands.length);
  let offset = HEADER_BYTES;
  for (const command of commands) {
    view.setUint32(offset, command.length);
    out.set(command, offset + LENGTH_BYTES);
    offset += batchedSize(command);
  }
  return out;
}

/** The commands of an envelope, in order (views into `data`, not copies). Throws BatchCodecError when malformed. */
export function decodeBatch(data: Uint8Array): Uint8Array[] {
  if (!isBatch(data)) throw new BatchCodecError(`byte 0 is ${data[0]}, not the batch marker ${BATCH_MARKER}`);
  if (data.length < HEADER_BYTES) throw new BatchCodecError(`the header is truncated (${data.length} bytes)`);
  if (data[1] !== BATCH_VERSION)
    throw new BatchCodecError(
      `version ${data[1]} is not one this replica knows (${BATCH_VERSION}); upgrade it`,
    );
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(2);
  const commands: Uint8Array[] = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + LENGTH_BYTES > data.length)
      throw new BatchCodecError(`command ${i} of ${count}: length truncated`);
    const length = view.getUint32(offset);
    offset += LENGTH_BYTES;
    if (offset + length > data.length)
      throw new BatchCodecError(
        `command ${i} of ${count}: ${length} bytes declared, ${data.length - offset} left`,
      );
    commands.push(data.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== data.length)
    throw new BatchCodecError(`${data.length - offset} bytes follow the last command`);
  return commands;
}

/** What one log entry carries: the proposals (by position in the input) and the bytes to propose. */
export interface PlannedEntry {
  readonly first: number;
  readonly count: number;
  readonly data: Uint8Array;
}

/**
 * Groups `commands` in order into entries of at most `maxBytes` each. A lone command goes raw (the pre-batch
 * format, no overhead) unless it starts with the marker or is empty (an empty Normal entry is a leader's no-op,
 * which the host never applies, so a raw empty proposal would never resolve); a command larger than the cap on its own gets its own
 * entry (the cap bounds grouping, not what one proposal may be).
 */
export function planEntries(commands: readonly Uint8Array[], maxBytes = BATCH_MAX_BYTES): PlannedEntry[] {
  const planned: PlannedEntry[] = [];
  let first = 0;
  while (first < commands.length) {
    let size = HEADER_BYTES + batchedSize(commands[first] as Uint8Array);
    let end = first + 1;
    while (end < commands.length && size + batchedSize(commands[end] as Uint8Array) <= maxBytes) {
      size += batchedSize(commands[end] as Uint8Array);
      end++;
    }
    const group = commands.slice(first, end);
    const lone = group[0] as Uint8Array;
    const data = group.length === 1 && lone.length > 0 && !isBatch(lone) ? lone : encodeBatch(group);
    planned.push({ first, count: end - first, data });
    first = end;
  }
  return planned;
}
