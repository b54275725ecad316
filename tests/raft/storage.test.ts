import { afterAll, describe, expect, test } from "bun:test";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStorage, MemoryStorage } from "../../lib/raft/storage/index.ts";
import { CorruptFileError, frameRecord } from "../../lib/raft/storage/record.ts";
import { entry, storageSuite } from "./storage-suite.ts";

const root = await mkdtemp(join(tmpdir(), "raft-storage-"));
let dirCount = 0;
const freshDir = (): string => join(root, `dir${dirCount++}`);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

storageSuite("MemoryStorage", async () => new MemoryStorage());
storageSuite("FileStorage", async () => FileStorage.open({ dir: freshDir() }));

const CONF = { voters: ["a", "b"], learners: [] };

describe("FileStorage durability and recovery", () => {
  test("everything survives a reopen: entries, overwritten suffix, hard state, snapshot", async () => {
    const dir = freshDir();
    const first = await FileStorage.open({ dir });
    await first.save({
      entries: [1, 2, 3, 4, 5, 6].map((i) => entry(i, 1)),
      hardState: { term: 1, vote: "a", commit: 3 },
    });
    await first.save({ entries: [entry(5, 2, "replaced")], hardState: { term: 2, vote: "b", commit: 4 } });
    await first.compact(3, CONF, new TextEncoder().encode("state@3"));
    await first.close();
    const second = await FileStorage.open({ dir });
    expect(second.firstIndex()).toBe(4);
    expect(second.lastIndex()).toBe(5);
    expect(new TextDecoder().decode(second.entries(5, 6)[0]?.data)).toBe("replaced");
    expect(second.initialState()).toEqual({ hardState: { term: 2, vote: "b", commit: 4 }, confState: CONF });
    expect(new TextDecoder().decode(second.snapshot().data)).toBe("state@3");
    expect(second.recovery.truncatedTailBytes).toBe(0);
    await second.close();
  });

  test("a torn tail (last append cut short) is truncated and the rest recovered", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: [entry(1, 1), entry(2, 1)] });
    await storage.close();
    const whole = await readFile(join(dir, "log"));
    // Half of a third record: its header promises more bytes than exist.
    await appendFile(join(dir, "log"), whole.subarray(0, Math.floor(whole.length / 2) - 3));
    const reopened = await FileStorage.open({ dir });
    expect(reopened.lastIndex()).toBe(2);
    expect(reopened.recovery.truncatedTailBytes).toBeGreaterThan(0);
    await reopened.save({ entries: [entry(3, 1)] });
    await reopened.close();
    const again = await FileStorage.open({ dir });
    expect(again.lastIndex()).toBe(3);
    expect(again.recovery.truncatedTailBytes).toBe(0);
    await again.close();
  });

  test("a last record with a bad checksum or zero fill is a torn tail too", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: [entry(1, 1), entry(2, 1)] });
    await storage.close();
    const bytes = new Uint8Array(await readFile(join(dir, "log")));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(join(dir, "log"), new Uint8Array([...bytes, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const reopened = await FileStorage.open({ dir });
    expect(reopened.lastIndex()).toBe(1);
    await reopened.close();
  });

  test("corruption in the middle of the log is an error naming the file, never dropped", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
    await storage.close();
    const logPath = join(dir, "log");
    const bytes = new Uint8Array(await readFile(logPath));
    bytes[12] = (bytes[12] ?? 0) ^ 0x01; // inside the first record's payload
    await writeFile(logPath, bytes);
    const error = await FileStorage.open({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(String(error)).toContain(logPath);
    expect(String(error)).toMatch(/CRC32 mismatch.*not a torn tail/);
    expect((await stat(logPath)).size).toBe(bytes.length); // untouched
  });

  test("a damaged snapshot file is an error naming it", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({
      entries: [entry(1, 1), entry(2, 1)],
      hardState: { term: 1, vote: "a", commit: 2 },
    });
    await storage.compact(2, CONF, new Uint8Array([1]));
    await storage.close();
    const path = join(dir, "snapshot");
    const bytes = new Uint8Array(await readFile(path));
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    const error = await FileStorage.open({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(String(error)).toContain(path);
  });

  test("the hard state lives in the log: the newest record wins, a torn one falls back, compaction keeps it", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: "a", commit: 0 } });
    await storage.save({ entries: [], hardState: { term: 1, vote: "a", commit: 2 } });
    await storage.save({ entries: [], hardState: { term: 2, vote: "b", commit: 2 } });
    await storage.close();
    const logPath = join(dir, "log");
    const whole = new Uint8Array(await readFile(logPath));
    const reopened = await FileStorage.open({ dir });
    expect(reopened.initialState().hardState).toEqual({ term: 2, vote: "b", commit: 2 });
    await reopened.close();
    // A crash in the middle of the last (hard-state) record: the one before it holds.
    await writeFile(logPath, whole.subarray(0, whole.length - 3));
    const torn = await FileStorage.open({ dir });
    expect(torn.initialState().hardState).toEqual({ term: 1, vote: "a", commit: 2 });
    expect(torn.recovery.truncatedTailBytes).toBeGreaterThan(0);
    await torn.save({ entries: [entry(3, 2)], hardState: { term: 2, vote: "b", commit: 3 } });
    await torn.compact(3, CONF, new TextEncoder().encode("state@3"));
    await torn.close();
    const compacted = await FileStorage.open({ dir });
    expect(compacted.initialState().hardState).toEqual({ term: 2, vote: "b", commit: 3 });
    expect(compacted.lastIndex()).toBe(3);
    await compacted.close();
  });

  test("a log record of an unknown kind is corruption naming the file, not a torn tail", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: [entry(1, 1)] });
    await storage.close();
    const logPath = join(dir, "log");
    await appendFile(logPath, frameRecord(new Uint8Array([9, 0, 0])));
    await appendFile(logPath, frameRecord(new Uint8Array([9, 0, 0])));
    const error = await FileStorage.open({ dir }).catch((caught: unknown) => caught);
    expect(String(error)).toContain(logPath);
    expect(String(error)).toMatch(/record\.kind is unknown \(9\)/);
  });

  test("a crash between writing a snapshot and rewriting the log keeps a consistent log", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) });
    await storage.close();
    // A leader's snapshot at 3 from a newer term, written before the crash; the old log is still there.
    const { frameRecord } = await import("../../lib/raft/storage/record.ts");
    const { encodeSnapshot } = await import("../../lib/raft/storage/codec.ts");
    const snapshot = { metadata: { index: 3, term: 2, confState: CONF }, data: new Uint8Array() };
    await writeFile(join(dir, "snapshot"), frameRecord(encodeSnapshot(snapshot)));
    await writeFile(join(dir, "snapshot.tmp"), new Uint8Array([1, 2, 3])); // leftover of an unfinished write
    const reopened = await FileStorage.open({ dir });
    expect(reopened.firstIndex()).toBe(4);
    expect(reopened.lastIndex()).toBe(3); // entries 4, 5 belonged to the superseded log
    expect(reopened.term(3)).toBe(2);
    await reopened.close();
  });

  test("compaction shrinks the log file", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await storage.save({ entries: Array.from({ length: 100 }, (_, i) => entry(i + 1, 1, "x".repeat(100))) });
    const before = (await stat(join(dir, "log"))).size;
    await storage.compact(95, CONF, new Uint8Array());
    const after = (await stat(join(dir, "log"))).size;
    expect(after).toBeLessThan(before / 10);
    expect(storage.lastIndex()).toBe(100);
    await storage.close();
  });

  test("concurrent writes are serialized in call order", async () => {
    const dir = freshDir();
    const storage = await FileStorage.open({ dir });
    await Promise.all([
      storage.save({ entries: [entry(1, 1)] }),
      storage.save({ entries: [entry(2, 1)] }),
      storage.save({ entries: [entry(3, 1)], hardState: { term: 1, vote: "", commit: 3 } }),
    ]);
    await storage.close();
    const reopened = await FileStorage.open({ dir });
    expect(reopened.lastIndex()).toBe(3);
    await reopened.close();
    await expect(storage.save({ entries: [] })).rejects.toThrow(/closed/);
  });
});
