/**
 * One behavioural suite for every RaftStorage implementation (memory and file), like Hono's shared
 * router suite: anything a storage must do for the core is asserted here once.
 */
import { describe, expect, test } from "bun:test";
import { type Entry, EntryType } from "../../lib/raft/index.ts";
import type { RaftStorage } from "../../lib/raft/storage/index.ts";

export const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new TextEncoder().encode(text),
});

const CONF = { voters: ["a", "b", "c"], learners: ["d"] };

export function storageSuite(name: string, open: () => Promise<RaftStorage>): void {
  describe(`RaftStorage contract: ${name}`, () => {
    test("starts empty", async () => {
      const storage = await open();
      expect(storage.firstIndex()).toBe(1);
      expect(storage.lastIndex()).toBe(0);
      expect(storage.term(0)).toBe(0);
      expect(storage.term(1)).toBeUndefined();
      expect(storage.initialState().hardState).toEqual({ term: 0, vote: "", commit: 0 });
      expect(storage.snapshot().metadata.index).toBe(0);
      await storage.close();
    });

    test("saves entries and hard state, and reads them back", async () => {
      const storage = await open();
      await storage.save({
        entries: [entry(1, 1), entry(2, 1), entry(3, 2)],
        hardState: { term: 2, vote: "b", commit: 2 },
      });
      expect(storage.lastIndex()).toBe(3);
      expect(storage.term(3)).toBe(2);
      expect(storage.entries(2, 4).map((e) => new TextDecoder().decode(e.data))).toEqual(["e2", "e3"]);
      expect(storage.initialState().hardState).toEqual({ term: 2, vote: "b", commit: 2 });
      expect(() => storage.entries(0, 2)).toThrow(/outside/);
      await storage.close();
    });

    test("entries overwrite the stored suffix from their first index", async () => {
      const storage = await open();
      await storage.save({ entries: [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)] });
      await storage.save({ entries: [entry(3, 5, "new3")] });
      expect(storage.lastIndex()).toBe(3);
      expect(storage.term(3)).toBe(5);
      expect(storage.term(4)).toBeUndefined();
      await expect(storage.save({ entries: [entry(9, 5)] })).rejects.toThrow(/gap/);
      await storage.close();
    });

    test("compaction keeps the snapshot's index and term and drops older entries", async () => {
      const storage = await open();
      await storage.save({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, i < 4 ? 1 : 2)) });
      const snapshot = await storage.compact(4, CONF, new Uint8Array([7, 7]));
      expect(snapshot.metadata).toEqual({ index: 4, term: 2, confState: CONF });
      expect(storage.firstIndex()).toBe(5);
      expect(storage.term(4)).toBe(2);
      expect(storage.term(3)).toBeUndefined();
      expect(storage.snapshot().data).toEqual(new Uint8Array([7, 7]));
      expect(storage.initialState().confState).toEqual(CONF);
      expect((await storage.compact(2, CONF, new Uint8Array())).metadata.index).toBe(4); // older: no-op
      await storage.close();
    });

    test("an installed snapshot keeps entries that continue it and drops a conflicting log", async () => {
      const storage = await open();
      await storage.save({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
      await storage.save({
        snapshot: { metadata: { index: 2, term: 1, confState: CONF }, data: new Uint8Array() },
        entries: [],
      });
      expect(storage.firstIndex()).toBe(3);
      expect(storage.lastIndex()).toBe(3);
      await storage.save({
        snapshot: { metadata: { index: 10, term: 4, confState: CONF }, data: new Uint8Array() },
        entries: [],
      });
      expect(storage.firstIndex()).toBe(11);
      expect(storage.lastIndex()).toBe(10);
      expect(storage.term(10)).toBe(4);
      await storage.save({ entries: [entry(11, 4)] });
      expect(storage.lastIndex()).toBe(11);
      await storage.close();
    });
  });
}
