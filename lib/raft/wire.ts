/**
 * Wire format of a batch of Raft messages, for the transport between controllers:
 * [version][count] then per message its fields, entries and optional snapshot (binary.ts encoding).
 * decodeMessages() validates everything (known, non-local type; integer fields; non-empty ids) and
 * throws an error naming the field, so a transport can reject and count a malformed RPC.
 */
import { Reader, Writer } from "./binary.ts";
import { isLocalMessage, type Message, MessageType } from "./messages.ts";
import { decodeEntry, decodeSnapshot, encodeEntry, encodeSnapshot } from "./storage/codec.ts";
import type { Entry, Snapshot } from "./types.ts";

/** Bumped only for an incompatible layout; decoders refuse versions they do not know. */
export const WIRE_VERSION = 1;

const NETWORK_TYPES: readonly MessageType[] = Object.values(MessageType).filter(
  (type) => !isLocalMessage(type),
);

export function encodeMessages(messages: readonly Message[]): Uint8Array<ArrayBuffer> {
  const writer = new Writer().number(WIRE_VERSION).number(messages.length);
  for (const m of messages) {
    writer
      .number(m.type)
      .text(m.from)
      .text(m.to)
      .number(m.term)
      .number(m.logTerm)
      .number(m.index)
      .number(m.commit)
      .number(m.reject ? 1 : 0)
      .number(m.rejectHint)
      .number(m.context)
      .number(m.entries.length);
    for (const entry of m.entries) writer.bytes(encodeEntry(entry));
    writer.number(m.snapshot === undefined ? 0 : 1);
    if (m.snapshot !== undefined) writer.bytes(encodeSnapshot(m.snapshot));
  }
  return writer.finish();
}

export function decodeMessages(bytes: Uint8Array): Message[] {
  const where = "raft message batch";
  const reader = new Reader(bytes, where);
  const version = reader.count("version");
  if (version !== WIRE_VERSION)
    throw reader.fail("version", `is ${version}, this node speaks ${WIRE_VERSION}`);
  const count = reader.count("count");
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) messages.push(decodeOne(reader, `message ${i}`));
  reader.end();
  return messages;
}

function decodeOne(reader: Reader, where: string): Message {
  const rawType = reader.count(`${where} type`);
  const type = NETWORK_TYPES.find((candidate) => candidate === rawType);
  if (type === undefined) throw reader.fail(`${where} type`, `${rawType} is not a network message type`);
  const from = reader.text(`${where} from`);
  const to = reader.text(`${where} to`);
  if (from === "" || to === "") throw reader.fail(`${where} from/to`, "must be non-empty node ids");
  const term = reader.count(`${where} term`);
  const logTerm = reader.count(`${where} logTerm`);
  const index = reader.count(`${where} index`);
  const commit = reader.count(`${where} commit`);
  const reject = reader.count(`${where} reject`);
  if (reject > 1) throw reader.fail(`${where} reject`, "must be 0 or 1");
  const rejectHint = reader.count(`${where} rejectHint`);
  const context = reader.count(`${where} context`);
  const entryCount = reader.count(`${where} entry count`);
  const entries: Entry[] = [];
  for (let e = 0; e < entryCount; e++)
    entries.push(decodeEntry(reader.bytes(`${where} entry ${e}`), `raft message batch ${where} entry ${e}`));
  const hasSnapshot = reader.count(`${where} hasSnapshot`);
  let snapshot: Snapshot | undefined;
  if (hasSnapshot === 1)
    snapshot = decodeSnapshot(reader.bytes(`${where} snapshot`), `raft message batch ${where} snapshot`);
  else if (hasSnapshot !== 0) throw reader.fail(`${where} hasSnapshot`, "must be 0 or 1");
  const base = {
    type,
    from,
    to,
    term,
    logTerm,
    index,
    commit,
    reject: reject === 1,
    rejectHint,
    context,
    entries,
  };
  return snapshot === undefined ? base : { ...base, snapshot };
}
