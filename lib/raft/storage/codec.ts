/**
 * Binary payloads of the RAFT_DIR records: log entries, hard state and snapshots.
 * Numbers are float64 (exact for integers below 2^53); strings and membership are UTF-8 JSON.
 * Decoders validate every field and name the file and field on failure.
 */
import { Reader, Writer } from "../binary.ts";
import { type ConfState, type Entry, EntryType, type HardState, type Snapshot } from "../types.ts";

export function encodeEntry(entry: Entry): Uint8Array {
  return new Writer().number(entry.term).number(entry.index).number(entry.type).bytes(entry.data).finish();
}

export function decodeEntry(payload: Uint8Array, where: string): Entry {
  const reader = new Reader(payload, where);
  const term = reader.count("entry.term");
  const index = reader.count("entry.index");
  const type = reader.count("entry.type");
  if (type !== EntryType.Normal && type !== EntryType.ConfChange)
    throw reader.fail("entry.type", `is unknown (${type})`);
  const data = reader.bytes("entry.data");
  reader.end();
  return { term, index, type, data };
}

export function encodeHardState(state: HardState): Uint8Array {
  return new Writer().number(state.term).text(state.vote).number(state.commit).finish();
}

export function decodeHardState(payload: Uint8Array, where: string): HardState {
  const reader = new Reader(payload, where);
  const term = reader.count("hardState.term");
  const vote = reader.text("hardState.vote");
  const commit = reader.count("hardState.commit");
  reader.end();
  return { term, vote, commit };
}

/**
 * A record of the `log` file: a kind byte, then an entry or a hard state. Keeping the hard state in the log (as
 * etcd's WAL does) makes one Ready one append and one fsync, where a separate file cost two more fsyncs and a rename.
 */
export type LogRecord = { kind: "entry"; entry: Entry } | { kind: "hardState"; hardState: HardState };

const RECORD_ENTRY = 1;
const RECORD_HARD_STATE = 2;

export function encodeLogEntry(entry: Entry): Uint8Array {
  return withKind(RECORD_ENTRY, encodeEntry(entry));
}

export function encodeLogHardState(state: HardState): Uint8Array {
  return withKind(RECORD_HARD_STATE, encodeHardState(state));
}

export function decodeLogRecord(payload: Uint8Array, where: string): LogRecord {
  const body = payload.subarray(1);
  if (payload[0] === RECORD_ENTRY) return { kind: "entry", entry: decodeEntry(body, where) };
  if (payload[0] === RECORD_HARD_STATE) return { kind: "hardState", hardState: decodeHardState(body, where) };
  throw new Reader(payload, where).fail("record.kind", `is unknown (${payload[0] ?? "empty record"})`);
}

function withKind(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const { index, term, confState } = snapshot.metadata;
  return new Writer()
    .number(index)
    .number(term)
    .text(JSON.stringify({ voters: confState.voters, learners: confState.learners }))
    .bytes(snapshot.data)
    .finish();
}

export function decodeSnapshot(payload: Uint8Array, where: string): Snapshot {
  const reader = new Reader(payload, where);
  const index = reader.count("snapshot.index");
  const term = reader.count("snapshot.term");
  const confState = parseConfState(reader.text("snapshot.confState"), reader);
  const data = reader.bytes("snapshot.data");
  reader.end();
  return { metadata: { index, term, confState }, data };
}

function parseConfState(text: string, reader: Reader): ConfState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw reader.fail("snapshot.confState", "is not JSON");
  }
  const ids = (field: string): string[] => {
    const value: unknown =
      typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, field) : undefined;
    if (!Array.isArray(value) || !value.every((id): id is string => typeof id === "string" && id !== "")) {
      throw reader.fail(`snapshot.confState.${field}`, "must be an array of non-empty strings");
    }
    return value;
  };
  return { voters: ids("voters"), learners: ids("learners") };
}
