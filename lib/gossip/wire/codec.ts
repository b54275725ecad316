/**
 * Bytes <-> messages. A message is its one-byte type followed by a UTF-8 JSON body; several messages share a
 * datagram as a compound: type 8, a count byte, then each part as a 2-byte big-endian length and the part.
 * Decoding never throws: anything short, unknown, unparsable or failing its schema is `{ok: false}` with a
 * reason the host counts.
 */
import * as v from "valibot";
import { type Message, MessageType, type MessageTypeName } from "./messages.ts";
import { bodySchemas } from "./schemas.ts";

export type Decoded = { ok: true; messages: Message[] } | { ok: false; reason: string };

const MAX_COMPOUND_PARTS = 255;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const nameByNumber = new Map<number, MessageTypeName>(
  Object.entries(MessageType).map(([key, number]) => [number, key as MessageTypeName]),
);

export function encodeMessage(message: Message): Uint8Array {
  const { type, ...body } = message;
  const json = encoder.encode(JSON.stringify(body));
  const out = new Uint8Array(1 + json.length);
  out[0] = MessageType[type];
  out.set(json, 1);
  return out;
}

/** Bytes one message adds to a compound packet (its encoding plus the 2-byte length prefix). */
export function compoundCost(message: Message): number {
  return encodeMessage(message).length + 2;
}

/** Fixed bytes of a compound header (type + count). */
export const COMPOUND_HEADER_BYTES = 2;

export function encodePacket(messages: readonly Message[]): Uint8Array {
  if (messages.length === 0) throw new Error("gossip: cannot encode an empty packet");
  if (messages.length === 1 && messages[0]) return encodeMessage(messages[0]);
  if (messages.length > MAX_COMPOUND_PARTS) throw new Error("gossip: too many messages for one packet");
  const parts = messages.map(encodeMessage);
  const total = COMPOUND_HEADER_BYTES + parts.reduce((sum, part) => sum + 2 + part.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = MessageType.compound;
  out[1] = parts.length;
  let offset = COMPOUND_HEADER_BYTES;
  for (const part of parts) {
    view.setUint16(offset, part.length);
    out.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return out;
}

function decodeOne(bytes: Uint8Array): Message | string {
  if (bytes.length < 1) return "empty message";
  const typeName = nameByNumber.get(bytes[0] ?? 0);
  if (typeName === undefined || typeName === "compound") return `unknown message type ${bytes[0]}`;
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(bytes.subarray(1)));
  } catch {
    return `${typeName}: body is not UTF-8 JSON`;
  }
  const parsed = v.safeParse(bodySchemas[typeName], body);
  if (!parsed.success) return `${typeName}: ${parsed.issues[0]?.message ?? "invalid body"}`;
  return { type: typeName, ...parsed.output } as Message;
}

export function decodePacket(bytes: Uint8Array): Decoded {
  if (bytes.length === 0) return { ok: false, reason: "empty packet" };
  if (bytes[0] !== MessageType.compound) {
    const one = decodeOne(bytes);
    return typeof one === "string" ? { ok: false, reason: one } : { ok: true, messages: [one] };
  }
  if (bytes.length < COMPOUND_HEADER_BYTES) return { ok: false, reason: "compound: truncated header" };
  const count = bytes[1] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: Message[] = [];
  let offset = COMPOUND_HEADER_BYTES;
  for (let index = 0; index < count; index++) {
    if (offset + 2 > bytes.length) return { ok: false, reason: "compound: truncated length" };
    const length = view.getUint16(offset);
    if (offset + 2 + length > bytes.length) return { ok: false, reason: "compound: truncated part" };
    const one = decodeOne(bytes.subarray(offset + 2, offset + 2 + length));
    if (typeof one === "string") return { ok: false, reason: `compound part ${index}: ${one}` };
    messages.push(one);
    offset += 2 + length;
  }
  if (offset !== bytes.length) return { ok: false, reason: "compound: trailing bytes" };
  return { ok: true, messages };
}
