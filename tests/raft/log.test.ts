import { describe, expect, test } from "bun:test";
import { type Entry, EntryType } from "../../lib/raft/index.ts";
import { RaftLog } from "../../lib/raft/log/raft-log.ts";
import { Unstable } from "../../lib/raft/log/unstable.ts";
import { MemoryStorage } from "../../lib/raft/storage/index.ts";

const entry = (index: number, term: number): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new Uint8Array(),
});
const terms = (entries: readonly Entry[]): number[] => entries.map((e) => e.term);

function storageWith(...termsByIndex: number[]): MemoryStorage {
  const storage = new MemoryStorage();
  storage.applyUpdate({ entries: termsByIndex.map((term, i) => entry(i + 1, term)) });
  return storage;
}

describe("unstable tail", () => {
  test("truncateAndAppend appends, replaces all, or cuts in the middle", () => {
    const unstable = new Unstable(5);
    unstable.truncateAndAppend([entry(5, 1), entry(6, 1), entry(7, 1)]);
    unstable.truncateAndAppend([entry(8, 2)]);
    expect(terms(unstable.entries)).toEqual([1, 1, 1, 2]);
    unstable.truncateAndAppend([entry(7, 3)]);
    expect(terms(unstable.entries)).toEqual([1, 1, 3]);
    unstable.truncateAndAppend([entry(4, 4)]);
    expect(unstable.offset).toBe(4);
    expect(terms(unstable.entries)).toEqual([4]);
    unstable.assertInvariants();
  });

  test("stableTo ignores an acknowledgement for entries replaced meanwhile", () => {
    const unstable = new Unstable(1);
    unstable.truncateAndAppend([entry(1, 1), entry(2, 1)]);
    unstable.stableTo(2, 9); // wrong term: replaced since that Ready
    expect(unstable.offset).toBe(1);
    unstable.stableTo(1, 1);
    expect(unstable.offset).toBe(2);
    expect(unstable.entries.length).toBe(1);
  });
});

describe("RaftLog (storage + unstable)", () => {
  test("reads across storage and unstable, and the tail shadows a replaced durable suffix", () => {
    const log = new RaftLog(storageWith(1, 1, 2, 2));
    log.append([entry(5, 3)]);
    expect(terms(log.slice(1, 6))).toEqual([1, 1, 2, 2, 3]);
    log.append([entry(3, 4)]);
    expect(log.lastIndex()).toBe(3);
    expect(log.term(3)).toBe(4);
    expect(log.term(4)).toBeUndefined(); // still in storage, but superseded
    log.assertInvariants();
  });

  test("maybeAppend: rejects a mismatch, truncates a conflict, ignores duplicates, bounds commit", () => {
    const log = new RaftLog(storageWith(1, 1, 2));
    expect(log.maybeAppend(3, 1, 0, [entry(4, 3)])).toBeUndefined();
    expect(log.maybeAppend(2, 1, 10, [entry(3, 3), entry(4, 3)])).toBe(4);
    expect(terms(log.slice(1, 5))).toEqual([1, 1, 3, 3]);
    expect(log.committed).toBe(4); // min(leader commit, last new index)
    expect(log.maybeAppend(1, 1, 4, [entry(2, 1)])).toBe(2);
    expect(log.lastIndex()).toBe(4); // duplicate prefix did not truncate
  });

  test("never truncates a committed entry", () => {
    const log = new RaftLog(storageWith(1, 1, 2));
    log.commitTo(3);
    expect(() => log.maybeAppend(2, 1, 3, [entry(3, 5)])).toThrow(/conflicts with committed/);
  });

  test("findConflictByTerm skips whole terms for the fast back-off", () => {
    const log = new RaftLog(storageWith(1, 1, 1, 4, 4, 5, 5, 5));
    expect(log.findConflictByTerm(8, 3)).toBe(3);
    expect(log.findConflictByTerm(8, 5)).toBe(8);
    expect(log.findConflictByTerm(100, 4)).toBe(5);
    expect(log.findConflictByTerm(8, 0)).toBe(0);
  });

  test("§5.4.1 up-to-date comparison: last term first, then length", () => {
    const log = new RaftLog(storageWith(1, 2, 2));
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(10, 1)).toBe(false);
  });

  test("maybeCommit only commits entries of the given term", () => {
    const log = new RaftLog(storageWith(1, 1, 2));
    expect(log.maybeCommit(3, 3)).toBe(false);
    expect(log.maybeCommit(3, 2)).toBe(true);
    expect(log.committed).toBe(3);
  });

  test("restore from a snapshot and compacted reads", () => {
    const storage = storageWith(1, 1, 2, 2, 2);
    storage.compactInMemory(3, { voters: ["a"], learners: [] }, new Uint8Array());
    const log = new RaftLog(storage);
    expect(log.firstIndex()).toBe(4);
    expect(log.term(3)).toBe(2);
    expect(log.term(2)).toBeUndefined();
    expect(log.entriesFrom(2, 10)).toBeUndefined();
    log.restore({
      metadata: { index: 9, term: 6, confState: { voters: ["a"], learners: [] } },
      data: new Uint8Array(),
    });
    expect(log.lastIndex()).toBe(9);
    expect(log.term(9)).toBe(6);
    expect(log.term(5)).toBeUndefined();
    expect(log.committed).toBe(9);
    expect(log.hasNextCommittedEntries()).toBe(false); // the snapshot is applied first
    log.assertInvariants();
  });

  test("assertInvariants catches an applied index beyond commit", () => {
    const log = new RaftLog(storageWith(1, 1));
    log.applied = 2;
    expect(() => log.assertInvariants()).toThrow(/invariant/);
  });
});
