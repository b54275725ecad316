import { describe, expect, test } from "bun:test";
import { decodeMessages, EntryType, encodeMessages, MessageType, message } from "../../lib/raft/index.ts";

describe("wire format", () => {
  test("a batch round-trips, entries and snapshot included", () => {
    const batch = [
      message({
        type: MessageType.Append,
        from: "a",
        to: "b",
        term: 7,
        logTerm: 6,
        index: 41,
        commit: 40,
        context: 1234,
        entries: [
          { index: 42, term: 7, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
          { index: 43, term: 7, type: EntryType.ConfChange, data: new TextEncoder().encode("{}") },
        ],
      }),
      message({
        type: MessageType.AppendResponse,
        from: "b",
        to: "a",
        term: 7,
        index: 41,
        reject: true,
        rejectHint: 30,
      }),
      message({
        type: MessageType.InstallSnapshot,
        from: "a",
        to: "c",
        term: 7,
        snapshot: {
          metadata: { index: 90, term: 6, confState: { voters: ["a", "b"], learners: ["c"] } },
          data: new Uint8Array([9]),
        },
      }),
    ];
    expect(decodeMessages(encodeMessages(batch))).toEqual(batch);
  });

  test("malformed input is rejected with the field named", () => {
    const bytes = encodeMessages([message({ type: MessageType.Heartbeat, from: "a", to: "b", term: 1 })]);
    expect(() => decodeMessages(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    const local = encodeMessages([message({ type: MessageType.Hup, from: "a", to: "b" })]);
    expect(() => decodeMessages(local)).toThrow(/message 0 type 1 is not a network message type/);
    const wrongVersion = new Uint8Array(bytes);
    new DataView(wrongVersion.buffer).setFloat64(0, 99, true);
    expect(() => decodeMessages(wrongVersion)).toThrow(/version/);
    const anonymous = encodeMessages([message({ type: MessageType.Heartbeat, from: "", to: "b" })]);
    expect(() => decodeMessages(anonymous)).toThrow(/non-empty node ids/);
    expect(() => decodeMessages(new Uint8Array([...bytes, 0]))).toThrow(/trailing bytes/);
  });
});
