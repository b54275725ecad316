/**
 * The host contract of RawNode: persist -> send -> apply -> advance, and what each Ready may contain.
 */
import { describe, expect, test } from "bun:test";
import {
  createNode,
  createSeededRandom,
  handleReady,
  MessageType,
  message,
  type RaftNode,
} from "../../lib/raft/index.ts";
import { MemoryStorage, type PersistUpdate } from "../../lib/raft/storage/index.ts";
import { encode } from "./helpers.ts";

function singleNode(): { node: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  const node = createNode({
    id: "a",
    peers: ["a"],
    storage,
    electionTicks: 10,
    heartbeatTicks: 2,
    random: createSeededRandom(1),
  });
  return { node, storage };
}

function drain(node: RaftNode, storage: MemoryStorage): void {
  while (node.hasReady()) {
    const rd = node.ready();
    storage.applyUpdate({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    node.advance();
  }
}

describe("Ready / advance", () => {
  test("the first Ready of a new cluster persists the bootstrap snapshot and hard state", () => {
    const { node } = singleNode();
    const rd = node.ready();
    expect(rd.snapshot?.metadata).toEqual({ index: 1, term: 1, confState: { voters: ["a"], learners: [] } });
    expect(rd.hardState).toEqual({ term: 1, vote: "", commit: 1 });
    expect(rd.committedEntries).toEqual([]);
  });

  test("ready() twice without advance() is refused; advance() without ready() too", () => {
    const { node } = singleNode();
    node.ready();
    expect(() => node.ready()).toThrow(/before advance/);
    expect(node.hasReady()).toBe(false);
    node.advance();
    expect(() => node.advance()).toThrow(/without a pending ready/);
  });

  test("a leader commits its own entry only after the host persisted it (and says so in a later Ready)", () => {
    const { node, storage } = singleNode();
    drain(node, storage);
    node.campaign();
    drain(node, storage);
    expect(node.status().role).toBe("leader");
    const result = node.propose(encode("x"));
    if (!result.accepted) throw new Error("proposal refused");
    const first = node.ready();
    expect(first.entries.map((e) => e.index)).toEqual([result.index]);
    expect(first.committedEntries.some((e) => e.index === result.index)).toBe(false);
    storage.applyUpdate({ entries: first.entries, hardState: first.hardState });
    node.advance();
    const second = node.ready();
    expect(second.committedEntries.map((e) => e.index)).toContain(result.index);
    expect(second.hardState?.commit).toBe(result.index);
  });

  test("a follower's acknowledgement travels in the same Ready as the entries it acknowledges", () => {
    const storage = new MemoryStorage();
    const follower = createNode({
      id: "b",
      peers: ["a", "b"],
      storage,
      electionTicks: 10,
      heartbeatTicks: 2,
      random: createSeededRandom(2),
    });
    drain(follower, storage);
    const entries = [{ index: 2, term: 2, type: 0 as const, data: encode("x") }];
    follower.step(
      message({
        type: MessageType.Append,
        from: "a",
        to: "b",
        term: 2,
        index: 1,
        logTerm: 1,
        entries,
        commit: 1,
      }),
    );
    const rd = follower.ready();
    const ack = rd.messages.find((m) => m.type === MessageType.AppendResponse);
    expect(ack?.index).toBe(2);
    // So the host must persist rd.entries before sending rd.messages.
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(storage.lastIndex()).toBe(1);
  });

  test("an acknowledgement is withdrawn if its entries are replaced before they reach the disk", () => {
    const storage = new MemoryStorage();
    const follower = createNode({
      id: "b",
      peers: ["a", "b", "c"],
      storage,
      electionTicks: 10,
      heartbeatTicks: 2,
      random: createSeededRandom(3),
    });
    drain(follower, storage);
    const entry = (index: number, term: number) => ({
      index,
      term,
      type: 0 as const,
      data: encode(`${index}@${term}`),
    });
    // Term 2 leader a sends 2..4; the ack for 4 is queued, nothing is persisted yet...
    follower.step(
      message({
        type: MessageType.Append,
        from: "a",
        to: "b",
        term: 2,
        index: 1,
        logTerm: 1,
        entries: [entry(2, 2), entry(3, 2), entry(4, 2)],
        commit: 1,
      }),
    );
    // ...then term 3 leader c replaces 3..4 before the host ran the Ready.
    follower.step(
      message({
        type: MessageType.Append,
        from: "c",
        to: "b",
        term: 3,
        index: 2,
        logTerm: 2,
        entries: [entry(3, 3)],
        commit: 1,
      }),
    );
    const rd = follower.ready();
    const acks = rd.messages
      .filter((m) => m.type === MessageType.AppendResponse && !m.reject)
      .map((m) => [m.to, m.index]);
    // Sending "a: I have 4" would let a count an entry b never stored toward a commit in term 2.
    expect(acks).toEqual([["c", 3]]);
    expect(rd.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["2@2", "3@3"]);
  });

  test("step and tick may run between ready() and advance(); their output waits for the next Ready", () => {
    const { node, storage } = singleNode();
    drain(node, storage);
    node.campaign();
    drain(node, storage);
    node.propose(encode("one"));
    const rd = node.ready();
    node.propose(encode("two"));
    storage.applyUpdate({ entries: rd.entries, hardState: rd.hardState });
    node.advance();
    const next = node.ready();
    expect(next.entries.map((e) => new TextDecoder().decode(e.data))).toEqual(["two"]);
  });

  test("local message types cannot be injected from the network", () => {
    const { node } = singleNode();
    expect(() => node.step(message({ type: MessageType.Hup, from: "x", to: "a" }))).toThrow(/local/);
    expect(() => node.step(message({ type: MessageType.Append, from: "x", to: "z" }))).toThrow(
      /delivered to a/,
    );
  });

  test("status reports the public view", () => {
    const { node, storage } = singleNode();
    drain(node, storage);
    node.campaign();
    drain(node, storage);
    const status = node.status();
    expect(status).toMatchObject({ id: "a", role: "leader", leaderId: "a", leaseValid: true, term: 2 });
    expect(status.commit).toBe(status.applied);
  });

  test("message type numbers are protocol and never change", () => {
    expect(MessageType).toEqual({
      Hup: 1,
      Beat: 2,
      CheckQuorum: 3,
      Append: 4,
      AppendResponse: 5,
      Vote: 6,
      VoteResponse: 7,
      PreVote: 8,
      PreVoteResponse: 9,
      InstallSnapshot: 10,
      Heartbeat: 11,
      HeartbeatResponse: 12,
      TransferLeader: 13,
      TimeoutNow: 14,
      SnapshotStatus: 15,
      Unreachable: 16,
    });
  });
});

class RecordingStorage extends MemoryStorage {
  readonly calls: string[] = [];
  failWith: Error | undefined;

  override async save(update: PersistUpdate): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.calls.push(`save:${update.entries.length}:${update.hardState === undefined ? "-" : "hs"}`);
    await super.save(update);
  }
}

describe("handleReady (host loop)", () => {
  const newNode = (storage: MemoryStorage) =>
    createNode({
      id: "a",
      peers: ["a", "b"],
      storage,
      electionTicks: 10,
      heartbeatTicks: 2,
      random: createSeededRandom(5),
    });

  test("persists, then sends, then applies, then advances", async () => {
    const storage = new RecordingStorage();
    const node = newNode(storage);
    const calls = storage.calls;
    const handlers = {
      send: (messages: readonly unknown[]) => void calls.push(`send:${messages.length}`),
      applySnapshot: () => void calls.push("snapshot"),
      apply: (entries: readonly unknown[]) => void calls.push(`apply:${entries.length}`),
    };
    await handleReady(node, storage, handlers); // the bootstrap snapshot
    const entries = [{ index: 2, term: 2, type: 0 as const, data: encode("x") }];
    node.step(
      message({
        type: MessageType.Append,
        from: "b",
        to: "a",
        term: 2,
        index: 1,
        logTerm: 1,
        commit: 2,
        entries,
      }),
    );
    const appliedBefore = node.status().applied;
    expect(await handleReady(node, storage, handlers)).toBe(true);
    expect(calls).toEqual(["save:0:hs", "snapshot", "save:1:hs", "send:1", "apply:1"]);
    expect(node.status().applied).toBe(appliedBefore + 1);
    expect(await handleReady(node, storage, handlers)).toBe(false);
  });

  test("a failed write sends nothing and does not advance", async () => {
    const storage = new RecordingStorage();
    storage.failWith = new Error("disk full");
    const node = newNode(storage);
    const sent: unknown[] = [];
    const handlers = {
      send: (m: readonly unknown[]) => void sent.push(...m),
      applySnapshot: () => {},
      apply: () => {},
    };
    await expect(handleReady(node, storage, handlers)).rejects.toThrow("disk full");
    expect(sent).toEqual([]);
    expect(() => node.ready()).toThrow(/before advance/);
  });
});
