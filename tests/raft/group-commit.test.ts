// Group commit in the RaftHost: proposals made while a Ready cycle is in flight enter the log together, as few
// entries as the batch cap allows; every proposer still gets its own result, only after its entry is committed and
// applied, and losing leadership still rejects them. Hosts run on a hand-driven clock and an in-memory network; a
// gate on the leader's storage holds a Ready cycle "in flight" so what queues behind it is exact, not timing luck.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLedgerStateMachine,
  createProposingLedger,
  decodeLedgerCommand,
  encodeLedgerCommand,
  LedgerConflictError,
} from "../../lib/controller/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import {
  BATCH_MARKER,
  BATCH_MAX_BYTES,
  BatchCodecError,
  decodeBatch,
  encodeBatch,
  isBatch,
  planEntries,
} from "../../lib/raft/host/batch.ts";
import {
  createRaftHost,
  ProposalRefusedError,
  RAFT_TIMING,
  type RaftHost,
  type RaftStateMachine,
} from "../../lib/raft/host/index.ts";
import { PendingProposals, ProposalQueue } from "../../lib/raft/host/proposals.ts";
import {
  createSeededRandom,
  type Entry,
  EntryType,
  FileStorage,
  MemoryStorage,
  type Message,
  type RaftStorage,
} from "../../lib/raft/index.ts";
import { RPC_BODY_LIMITS } from "../../lib/raft/transport/limits.ts";
import { waitFor } from "../support/wait.ts";

const log = createLogger("error", { component: "group-commit-test" });
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** MemoryStorage whose writes can be held: while held, the host's Ready cycle is stuck in its persist step. */
class GatedStorage extends MemoryStorage {
  static readonly all = new Set<GatedStorage>();
  constructor() {
    super();
    GatedStorage.all.add(this);
  }
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.gate = undefined;
    this.open?.();
  }
  override async save(...args: Parameters<MemoryStorage["save"]>): Promise<void> {
    if (this.gate) await this.gate;
    return super.save(...args);
  }
}

interface Applied {
  /** Position in this replica's apply order. */
  seq: number;
  index: number;
  text: string;
}

/** Records every command in order; its result says where the command landed. */
function recorder(): RaftStateMachine<Applied> & { applied: Applied[] } {
  const applied: Applied[] = [];
  return {
    applied,
    apply(data, index) {
      const record = { seq: applied.length, index, text: text(data) };
      applied.push(record);
      return record;
    },
    snapshot: () => bytes(JSON.stringify(applied)),
    restore(data) {
      applied.length = 0;
      if (data.length > 0) applied.push(...(JSON.parse(text(data)) as Applied[]));
    },
  };
}

interface Node<R> {
  host: RaftHost<R>;
  storage: RaftStorage;
}

function network<R>(
  ids: string[],
  make: (id: string) => { storage: RaftStorage; stateMachine: RaftStateMachine<R> },
  snapshotEvery?: number,
) {
  let time = 0;
  const nodes = new Map<string, Node<R>>();
  const cut = new Set<string>();
  for (const [i, id] of ids.entries()) {
    const { storage, stateMachine } = make(id);
    const host = createRaftHost<R>({
      id,
      initialVoters: ids,
      storage,
      stateMachine,
      send: (messages: readonly Message[]) => {
        for (const m of messages) {
          if (cut.has(m.from) || cut.has(m.to)) continue;
          queueMicrotask(() => nodes.get(m.to)?.host.step(m));
        }
      },
      random: createSeededRandom(11 + i),
      log,
      now: () => time,
      ...(snapshotEvery ? { snapshotEvery } : {}),
    });
    nodes.set(id, { host, storage });
  }
  const all = [...nodes.values()];
  const net = {
    nodes: all,
    cut,
    async tick(only = all) {
      time += RAFT_TIMING.tickMs;
      for (const node of only) node.host.isActing();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    },
    /** Lets messages and Ready loops run without moving the clock (no tick, so no timer of Raft's fires). */
    async settle() {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    },
    actingLeader: () =>
      waitFor("an acting leader", async () => {
        await net.tick();
        const acting = all.filter((n) => n.host.isActing());
        return acting.length === 1 ? acting[0] : undefined;
      }),
    stop: () => Promise.all(all.map((n) => n.host.transferLeadershipAndStop(0))),
  };
  return net;
}

const memoryNetwork = (ids: string[]) => {
  const machines = new Map<string, ReturnType<typeof recorder>>();
  const net = network<Applied>(ids, (id) => {
    const stateMachine = recorder();
    machines.set(id, stateMachine);
    return { storage: new GatedStorage(), stateMachine };
  });
  return {
    ...net,
    machineOf: (node: Node<Applied>) => machines.get(node.host.id) as ReturnType<typeof recorder>,
  };
};

/** A 3-node network whose leader gets `commands` proposed while its first cycle is held in flight. */
async function heldBurst(commands: string[]) {
  const net = memoryNetwork(["a", "b", "c"]);
  stops.push(net.stop);
  const leader = await net.actingLeader();
  const storage = leader.storage as GatedStorage;
  await net.settle();
  const before = storage.lastIndex();
  storage.hold();
  const proposals = commands.map((c) => leader.host.propose(bytes(c)));
  storage.release();
  return { net, leader, storage, before, results: await Promise.all(proposals) };
}

/** The Normal entries with data in a storage, from `after` on. */
const dataEntries = (storage: RaftStorage, after = 0): Entry[] =>
  storage
    .entries(Math.max(after + 1, storage.firstIndex()), storage.lastIndex() + 1)
    .filter((e) => e.type === EntryType.Normal && e.data.length > 0);

const settleAll = <T>(promises: Promise<T>[]) =>
  Promise.all(
    promises.map((p) =>
      p.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ),
  );

const stops: (() => Promise<unknown>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  // A test that failed mid-cycle must not leave a Ready loop stuck on a held write (stop waits for the loop).
  for (const storage of GatedStorage.all) storage.release();
  GatedStorage.all.clear();
  for (const stop of stops.splice(0)) await stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}, 30_000);

test("the envelope round-trips, and its marker can start neither UTF-8 text nor a ledger command", () => {
  const commands = [
    bytes('{"version":1}'),
    new Uint8Array(0),
    new Uint8Array([BATCH_MARKER, 1, 2]),
    bytes("é"),
  ];
  const encoded = encodeBatch(commands);
  expect(isBatch(encoded)).toBe(true);
  expect(decodeBatch(encoded).map((c) => [...c])).toEqual(commands.map((c) => [...c]));
  expect(() => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([BATCH_MARKER]))).toThrow();
  const ledger = encodeLedgerCommand({ op: "forget", uid: "u", at: 1 });
  expect(isBatch(ledger)).toBe(false);
  // A whole Append of capped entries (64 of them, the core's default) is meant to be rare; eight must fit a batch.
  expect(8 * BATCH_MAX_BYTES).toBeLessThanOrEqual(RPC_BODY_LIMITS.batch);
});

test("a malformed envelope is refused with what is wrong, never half-read", () => {
  const good = encodeBatch([bytes("a"), bytes("bc")]);
  expect(() => decodeBatch(good.subarray(0, good.length - 1))).toThrow(
    /command 1 of 2: 2 bytes declared, 1 left/,
  );
  expect(() => decodeBatch(new Uint8Array([...good, 0]))).toThrow(/1 bytes follow the last command/);
  const future = good.slice();
  future[1] = 9;
  expect(() => decodeBatch(future)).toThrow(/version 9 is not one this replica knows/);
  expect(() => decodeBatch(new Uint8Array([BATCH_MARKER]))).toThrow(BatchCodecError);
  expect(() => decodeBatch(bytes("{}"))).toThrow(/not the batch marker/);
});

test("planning: a lone command stays raw (the old format) unless it could be mistaken for a batch; the cap splits", () => {
  const raw = bytes('{"op":"forget"}');
  expect(planEntries([raw])).toEqual([{ first: 0, count: 1, data: raw }]);
  const marked = new Uint8Array([BATCH_MARKER, 7]);
  const [wrapped] = planEntries([marked]);
  expect(wrapped && decodeBatch(wrapped.data).map((c) => [...c])).toEqual([[BATCH_MARKER, 7]]);
  const [empty] = planEntries([new Uint8Array(0)]);
  expect(empty && isBatch(empty.data)).toBe(true);
  const commands = Array.from({ length: 100 }, (_, i) => bytes(`${i}:${"x".repeat(1000)}`));
  const plan = planEntries(commands, 10_000);
  expect(plan.length).toBe(12); // 9 commands of 1,008 bytes (with their length) fit under 10,000 with the header
  expect(plan.every((p) => p.data.length <= 10_000)).toBe(true);
  // The last group holds one command, so it goes raw.
  expect(plan.flatMap((p) => (isBatch(p.data) ? decodeBatch(p.data) : [p.data]).map(text))).toEqual(
    commands.map(text),
  );
  // A command bigger than the cap on its own still goes, alone.
  const big = bytes("y".repeat(20_000));
  expect(planEntries([bytes("a"), big, bytes("b")], 10_000).map((p) => p.count)).toEqual([1, 1, 1]);
});

test("proposals made while a cycle is in flight become one entry; each proposer gets its own result, on every replica", async () => {
  const { net, leader, storage, before, results } = await heldBurst(
    Array.from({ length: 500 }, (_, i) => `cmd-${i}`),
  );
  // The first went at once (the host was idle); the other 499 queued behind its cycle: 2 entries, not 500.
  expect(storage.lastIndex() - before).toBe(2);
  expect(results.map((r) => r.text)).toEqual(Array.from({ length: 500 }, (_, i) => `cmd-${i}`));
  expect(results.map((r) => r.index)).toEqual([before + 1, ...Array(499).fill(before + 2)]);
  expect(new Set(results.map((r) => r.seq)).size).toBe(500);
  const [lone, batch] = dataEntries(storage, before);
  expect(lone && text(lone.data)).toBe("cmd-0");
  expect(batch && decodeBatch(batch.data).length).toBe(499);
  for (const node of net.nodes)
    await waitFor(`${node.host.id} applied the batch`, async () => {
      await net.settle();
      const applied = net.machineOf(node).applied.map((a) => a.text);
      return (
        applied.length === net.machineOf(leader).applied.length &&
        applied.join() === results.map((r) => r.text).join()
      );
    });
});

test("a sub-command the ledger refuses rejects only its own proposer; the rest of its batch commits", async () => {
  const states = new Map<string, ReturnType<typeof createLedgerStateMachine>>();
  const net = network<ReturnType<ReturnType<typeof createLedgerStateMachine>["apply"]>>(
    ["a", "b", "c"],
    (id) => {
      const state = createLedgerStateMachine();
      states.set(id, state);
      return {
        storage: new GatedStorage(),
        stateMachine: {
          apply: (data) => state.apply(decodeLedgerCommand(data)),
          snapshot: () => new Uint8Array(0),
          restore: () => {},
        },
      };
    },
  );
  stops.push(net.stop);
  const leader = await net.actingLeader();
  const state = states.get(leader.host.id) as ReturnType<typeof createLedgerStateMachine>;
  const ledger = createProposingLedger(state, (command) => leader.host.propose(encodeLedgerCommand(command)));
  const begin = (uid: string) =>
    ledger.beginIssuing({ uid, namespace: "ns", name: `pod-${uid}`, role: "web", restartCount: 0, at: 1 });
  const storage = leader.storage as GatedStorage;
  await net.settle();
  const before = storage.lastIndex();
  storage.hold();
  const first = begin("first");
  const outcomes = settleAll<unknown>([begin("a"), ledger.markPushed("ghost", 0, undefined, 2), begin("b")]);
  storage.release();
  await first;
  const [a, ghost, b] = await outcomes;
  expect(a?.ok).toBe(true);
  expect(b?.ok).toBe(true);
  expect(ghost?.ok === false && ghost.error).toBeInstanceOf(LedgerConflictError);
  expect(ghost?.ok === false && String(ghost.error)).toContain("no issuance is recorded for pod ghost");
  const entries = dataEntries(storage, before);
  expect(entries.length).toBe(2);
  expect(entries[1] && decodeBatch(entries[1].data).length).toBe(3);
  for (const [id, s] of states)
    await waitFor(`${id} holds a, b and first`, async () => {
      await net.settle();
      return (
        s
          .list()
          .map((e) => e.uid)
          .sort()
          .join() === "a,b,first"
      );
    });
});

test("a queue over the size cap is split into several entries, each under the cap", async () => {
  const commands = Array.from({ length: 61 }, (_, i) => `${i}:${"z".repeat(2_000)}`);
  const { storage, before, results } = await heldBurst(commands);
  expect(results.map((r) => r.text)).toEqual(commands);
  const entries = dataEntries(storage, before);
  // 1 lone + 60 × ~2 KB = ~120 KB queued: at least 4 entries of at most 32 KiB.
  expect(entries.length).toBeGreaterThanOrEqual(5);
  expect(entries.length).toBeLessThan(10);
  expect(entries.every((e) => e.data.length <= BATCH_MAX_BYTES)).toBe(true);
});

test("losing leadership rejects every proposer, both those in an unapplied batch and those still queued", async () => {
  const net = memoryNetwork(["a", "b", "c"]);
  stops.push(net.stop);
  const leader = await net.actingLeader();
  const storage = leader.storage as GatedStorage;
  await net.settle();
  storage.hold();
  const inLog = [
    leader.host.propose(bytes("lone")),
    ...Array.from({ length: 50 }, (_, i) => leader.host.propose(bytes(`in-log-${i}`))),
  ];
  net.cut.add(leader.host.id);
  // Let the held cycle finish: the 50 enter the log as a batch, which cannot commit (the leader is cut off).
  storage.release();
  await net.settle();
  expect(dataEntries(storage).some((e) => isBatch(e.data))).toBe(true);
  // Now a second cycle is held with 30 more queued behind it when the leader steps down.
  storage.hold();
  const tick = leader.host.propose(bytes("held"));
  const queued = Array.from({ length: 30 }, (_, i) => leader.host.propose(bytes(`queued-${i}`)));
  const outcomes = settleAll([...inLog, tick, ...queued]);
  const others = net.nodes.filter((n) => n !== leader);
  await waitFor("another leader among the majority", async () => {
    await net.tick(others);
    return others.some((n) => n.host.isActing());
  });
  for (let i = 0; i < 2 * RAFT_TIMING.electionTicks; i++) await net.tick([leader]);
  storage.release();
  const settled = await outcomes;
  expect(settled.length).toBe(82);
  for (const outcome of settled) {
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toBeInstanceOf(ProposalRefusedError);
  }
  // Healed, the old leader follows the new one and its unapplied batch is overwritten: nothing of it was applied.
  net.cut.clear();
  const next = await net.actingLeader();
  expect(await next.host.propose(bytes("after"))).toMatchObject({ text: "after" });
  for (const node of net.nodes)
    await waitFor(`${node.host.id} applied "after"`, async () => {
      await net.tick();
      return net.machineOf(node).applied.some((a) => a.text === "after");
    });
  for (const node of net.nodes)
    expect(net.machineOf(node).applied.filter((a) => /^(lone|in-log|held|queued)/.test(a.text))).toEqual([]);
});

test("a lone proposal on an idle host enters the log at once and commits without waiting for a tick", async () => {
  const net = memoryNetwork(["a", "b", "c"]);
  stops.push(net.stop);
  const leader = await net.actingLeader();
  await net.settle();
  const before = leader.host.status().lastIndex;
  const proposal = leader.host.propose(bytes("now"));
  // Appended synchronously, inside propose(): nothing waited for a cycle or a timer.
  expect(leader.host.status().lastIndex).toBe(before + 1);
  const result = await proposal;
  expect(result).toMatchObject({ text: "now", index: before + 1 });
  expect(text((dataEntries(leader.storage, before)[0] as Entry).data)).toBe("now");
});

test("after a restart, single-command entries (the pre-batch format) and batches replay in order from disk", async () => {
  const dir = mkdtempSync(join(tmpdir(), "group-commit-"));
  dirs.push(dir);
  const boot = async (stateMachine: ReturnType<typeof recorder>, snapshotEvery?: number) => {
    const storage = await FileStorage.open({ dir });
    const net = network<Applied>(["solo"], () => ({ storage, stateMachine }), snapshotEvery);
    stops.push(net.stop);
    return { net, storage };
  };
  const first = recorder();
  const { net, storage } = await boot(first);
  const leader = await net.actingLeader();
  const proposed: string[] = [];
  for (let i = 0; i < 3; i++) {
    proposed.push(`single-${i}`);
    await leader.host.propose(bytes(`single-${i}`));
  }
  const burst = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
  proposed.push(...burst);
  await Promise.all(burst.map((c) => leader.host.propose(bytes(c))));
  const entries = dataEntries(storage);
  // Stored exactly as before group commit: the raw bytes, no envelope.
  expect(entries.slice(0, 3).map((e) => text(e.data))).toEqual(["single-0", "single-1", "single-2"]);
  expect(entries.slice(3).some((e) => isBatch(e.data))).toBe(true);
  expect(entries.length).toBeLessThan(10);
  await net.stop();

  const second = recorder();
  const again = await boot(second);
  await again.net.actingLeader();
  await waitFor("every command replayed", async () => {
    await again.net.tick();
    return second.applied.length >= proposed.length;
  });
  expect(second.applied.map((a) => a.text)).toEqual(proposed);
});

test("snapshots count commands, not entries: a burst of batches still compacts the log, and restores from it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "group-commit-snap-"));
  dirs.push(dir);
  const storage = await FileStorage.open({ dir });
  const machine = recorder();
  const net = network<Applied>(["solo"], () => ({ storage, stateMachine: machine }), 100);
  stops.push(net.stop);
  const leader = await net.actingLeader();
  const commands = Array.from({ length: 250 }, (_, i) => `c-${i}`);
  await Promise.all(commands.map((c) => leader.host.propose(bytes(c))));
  // 250 commands in a handful of entries: far below 100 entries, yet the snapshot was taken.
  expect(storage.lastIndex()).toBeLessThan(20);
  await waitFor("a snapshot", () => storage.snapshot().metadata.index > 0);
  await net.stop();

  const restored = recorder();
  const reopened = await FileStorage.open({ dir });
  const again = network<Applied>(["solo"], () => ({ storage: reopened, stateMachine: restored }), 100);
  stops.push(again.stop);
  await again.actingLeader();
  await waitFor("state restored", async () => {
    await again.tick();
    return restored.applied.length >= commands.length;
  });
  expect(restored.applied.map((a) => a.text)).toEqual(commands);
});

test("under sustained load (128 proposers, each re-proposing once answered) 2,000 commands take a few dozen entries", async () => {
  const net = memoryNetwork(["a", "b", "c"]);
  stops.push(net.stop);
  const leader = await net.actingLeader();
  await net.settle();
  const before = leader.storage.lastIndex();
  let next = 0;
  const answered: string[] = [];
  const worker = async () => {
    while (next < 2_000) {
      const command = `load-${next++}`;
      const result = await leader.host.propose(bytes(command));
      expect(result.text).toBe(command);
      answered.push(command);
    }
  };
  await Promise.all(Array.from({ length: 128 }, worker));
  expect(answered.length).toBe(2_000);
  const entries = leader.storage.lastIndex() - before;
  expect(entries).toBeLessThanOrEqual(100);
  expect(net.machineOf(leader).applied.map((a) => a.text)).toEqual(
    Array.from({ length: 2_000 }, (_, i) => `load-${i}`),
  );
});

test("an entry found replaced by another leader's, at the same index, rejects every proposer that was in it", async () => {
  const pending = new PendingProposals<number>();
  const queue = new ProposalQueue<number>();
  const outcomes = settleAll([queue.push(bytes("x"), 0), queue.push(bytes("y"), 0)]);
  pending.add(7, 2, queue.take().waiters);
  expect(pending.applied(7, 3, [1, 2], () => new ProposalRefusedError("replaced", undefined))).toEqual([]);
  const settled = await outcomes;
  expect(settled.map((s) => !s.ok && s.error instanceof ProposalRefusedError)).toEqual([true, true]);
  // Ours, but not as many results as proposers (a state machine bug): refused, never resolved with a wrong result.
  const mismatched = new ProposalQueue<number>();
  const lonely = settleAll([mismatched.push(bytes("z"), 0)]);
  pending.add(8, 2, mismatched.take().waiters);
  pending.applied(8, 2, [1, 2], () => new Error("unused"));
  const [z] = await lonely;
  expect(z?.ok === false && String(z.error)).toContain("entry 8 held 2 commands, 1 proposed");
});
