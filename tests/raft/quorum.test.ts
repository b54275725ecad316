import { describe, expect, test } from "bun:test";
import { Inflights } from "../../lib/raft/inflights.ts";
import { Progress } from "../../lib/raft/progress.ts";
import { committedIndex, quorumActive, quorumSize, quorumValue, voteResult } from "../../lib/raft/quorum.ts";

describe("quorum maths", () => {
  test("quorum size is a strict majority", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  test("committed index is the highest index on a majority", () => {
    const match = new Map([
      ["a", 9],
      ["b", 5],
      ["c", 7],
    ]);
    expect(committedIndex(["a", "b", "c"], (id) => match.get(id) ?? 0)).toBe(7);
    expect(committedIndex(["a", "b", "c", "d"], (id) => match.get(id) ?? 0)).toBe(5);
    expect(committedIndex([], () => 100)).toBe(0);
  });

  test("vote tally: won, lost, pending", () => {
    const voters = ["a", "b", "c", "d", "e"];
    expect(voteResult(voters, new Map([["a", true]]))).toBe("pending");
    expect(
      voteResult(
        voters,
        new Map([
          ["a", true],
          ["b", true],
          ["c", true],
        ]),
      ),
    ).toBe("won");
    expect(
      voteResult(
        voters,
        new Map([
          ["a", true],
          ["b", false],
          ["c", false],
          ["d", false],
        ]),
      ),
    ).toBe("lost");
    expect(voteResult([], new Map())).toBe("lost");
  });

  test("quorum activity and the lease value", () => {
    expect(quorumActive(["a", "b", "c"], (id) => id !== "c")).toBe(true);
    expect(quorumActive(["a", "b", "c"], (id) => id === "a")).toBe(false);
    const acks = new Map([
      ["a", 100],
      ["b", 90],
      ["c", Number.NEGATIVE_INFINITY],
    ]);
    expect(quorumValue(["a", "b", "c"], (id) => acks.get(id) ?? 0)).toBe(90);
  });
});

describe("progress and inflights", () => {
  test("inflights window fills, frees by index and frees one on heartbeat", () => {
    const window = new Inflights(3);
    window.add(5);
    window.add(7);
    window.add(9);
    expect(window.full()).toBe(true);
    expect(() => window.add(10)).toThrow(/full/);
    window.freeLE(7);
    expect(window.count).toBe(1);
    window.freeFirstOne();
    expect(window.count).toBe(0);
  });

  test("probe sends one message at a time; replicate streams until the window is full", () => {
    const progress = new Progress(5, 2);
    expect(progress.isPaused()).toBe(false);
    progress.probeSent = true;
    expect(progress.isPaused()).toBe(true);
    expect(progress.maybeUpdate(6)).toBe(true);
    progress.becomeReplicate();
    expect(progress.next).toBe(7);
    progress.optimisticUpdate(8);
    progress.inflights.add(8);
    progress.inflights.add(9);
    expect(progress.isPaused()).toBe(true);
  });

  test("rejections: stale ones are ignored, fresh ones move next back using the hint", () => {
    const progress = new Progress(11, 4);
    progress.match = 3;
    expect(progress.maybeDecrTo(9, 5)).toBe(false); // not the index we probed
    expect(progress.maybeDecrTo(10, 5)).toBe(true);
    expect(progress.next).toBe(6);
    progress.becomeReplicate();
    expect(progress.maybeDecrTo(2, 0)).toBe(false); // below match: stale
    expect(progress.maybeDecrTo(8, 0)).toBe(true);
    expect(progress.next).toBe(progress.match + 1);
  });

  test("snapshot state pauses until the snapshot is acknowledged", () => {
    const progress = new Progress(3, 4);
    progress.becomeSnapshot(20, 0);
    expect(progress.isPaused()).toBe(true);
    progress.becomeProbe();
    expect(progress.next).toBe(21);
  });
});
