// The work queue: dedup, no double processing, back-off, addAfter, bounded concurrency and shutdown.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../lib/controller/support/clock.ts";
import { TerminalError } from "../../lib/controller/support/errors.ts";
import {
  backoffDelay,
  createWorkQueue,
  DEFAULT_BACKOFF,
  startWorkers,
} from "../../lib/controller/workqueue/index.ts";
import { manualClock, settle } from "./support/manual-clock.ts";

const noJitter = { next: () => 0 };
const newQueue = (clock = manualClock()) => createWorkQueue<string>({ clock, random: seededRandom(7) });

describe("work queue", () => {
  test("a key added twice while waiting is handed out once", async () => {
    const queue = newQueue();
    queue.add("a");
    queue.add("a");
    queue.add("b");
    expect(queue.depth()).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
    expect(queue.depth()).toBe(0);
  });

  test("a key re-added while processing waits until done, then comes back once", async () => {
    const queue = newQueue();
    queue.add("a");
    const first = await queue.get();
    queue.add("a");
    queue.add("a");
    expect(queue.depth()).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => {
      second = key;
    });
    await settle();
    expect(second).toBeUndefined();
    queue.done(first as string);
    await settle();
    expect(second).toBe("a");
    expect(queue.inFlight()).toBe(1);
  });

  test("addAfter fires at the due time and keeps only the earliest due time", async () => {
    const clock = manualClock();
    const queue = newQueue(clock);
    queue.addAfter("a", 100);
    queue.addAfter("a", 500);
    queue.addAfter("a", 50);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(49);
    expect(queue.depth()).toBe(0);
    clock.advance(1);
    expect(queue.depth()).toBe(1);
    clock.advance(1000);
    expect(queue.depth()).toBe(1);
  });

  test("back-off doubles from 5 ms per failure, caps, and forget resets it", async () => {
    const clock = manualClock();
    const queue = createWorkQueue<string>({ clock, random: noJitter });
    for (const expected of [5, 10, 20, 40, 80]) {
      queue.addRateLimited("a");
      clock.advance(expected - 1);
      expect(queue.depth()).toBe(0);
      clock.advance(1);
      expect(queue.depth()).toBe(1);
      queue.done((await queue.get()) as string);
    }
    expect(queue.failures("a")).toBe(5);
    expect(backoffDelay(30, noJitter)).toBe(DEFAULT_BACKOFF.maxDelayMs);
    queue.forget("a");
    expect(queue.failures("a")).toBe(0);
    queue.addRateLimited("a");
    clock.advance(5);
    expect(queue.depth()).toBe(1);
  });

  test("jitter shortens a delay by at most its fraction and replays from the seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let failures = 0; failures < 20; failures++) {
      const delay = backoffDelay(failures, a);
      const full = Math.min(DEFAULT_BACKOFF.maxDelayMs, 5 * 2 ** failures);
      expect(delay).toBeLessThanOrEqual(full);
      expect(delay).toBeGreaterThanOrEqual(full * (1 - DEFAULT_BACKOFF.jitterFraction));
      expect(backoffDelay(failures, b)).toBe(delay);
    }
  });

  test("shutDown stops intake, drops waiting keys and wakes idle getters", async () => {
    const clock = manualClock();
    const queue = newQueue(clock);
    queue.add("a");
    queue.addAfter("b", 10);
    const inFlight = await queue.get();
    const idle = queue.get();
    queue.add("c");
    expect(await idle).toBe("c");
    queue.add("d");
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
    queue.add("e");
    clock.advance(100);
    expect(queue.depth()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    let drained: boolean | undefined;
    void queue.drain(1000).then((value) => {
      drained = value;
    });
    queue.done(inFlight as string);
    await settle();
    expect(drained).toBeUndefined();
    queue.done("c");
    await settle();
    expect(drained).toBe(true);
  });

  test("drain gives up after its bound when a key never finishes", async () => {
    const clock = manualClock();
    const queue = newQueue(clock);
    queue.add("stuck");
    await queue.get();
    queue.shutDown();
    let drained: boolean | undefined;
    void queue.drain(500).then((value) => {
      drained = value;
    });
    clock.advance(499);
    await settle();
    expect(drained).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(drained).toBe(false);
  });
});

describe("workers", () => {
  test("never exceed the concurrency bound and never work one key twice at once", async () => {
    const queue = newQueue();
    const active = new Set<string>();
    let peak = 0;
    let overlaps = 0;
    const releases: (() => void)[] = [];
    const seen: string[] = [];
    const pool = startWorkers(queue, 3, async (key) => {
      if (active.has(key)) overlaps++;
      active.add(key);
      peak = Math.max(peak, active.size);
      seen.push(key);
      await new Promise<void>((resolve) => releases.push(resolve));
      active.delete(key);
      return {};
    });
    for (let i = 0; i < 10; i++) queue.add(`k${i}`);
    queue.add("k0");
    for (let round = 0; round < 20; round++) {
      await settle();
      for (const release of releases.splice(0)) release();
      queue.add("k1");
    }
    await settle();
    queue.shutDown();
    for (const release of releases.splice(0)) release();
    await pool;
    expect(peak).toBe(3);
    expect(overlaps).toBe(0);
    expect(new Set(seen).size).toBe(10);
  });

  test("a failure retries with back-off, a terminal error does not, a result can ask for a requeue", async () => {
    const clock = manualClock();
    const queue = createWorkQueue<string>({ clock, random: noJitter });
    const calls: string[] = [];
    const terminal: string[] = [];
    const retries: number[] = [];
    const pool = startWorkers(
      queue,
      2,
      async (key) => {
        calls.push(key);
        if (key === "flaky" && calls.filter((k) => k === "flaky").length < 3) throw new Error("vault down");
        if (key === "bad") throw new TerminalError("bad annotation", "invalid-annotation");
        if (key === "later" && calls.filter((k) => k === "later").length === 1)
          return { requeueAfterMs: 1000 };
        return {};
      },
      {
        onRetry: (_key, _error, failures) => retries.push(failures),
        onTerminal: (key) => terminal.push(key),
      },
    );
    queue.add("flaky");
    queue.add("bad");
    queue.add("later");
    await settle(50);
    clock.advance(5);
    await settle(50);
    clock.advance(10);
    await settle(50);
    clock.advance(1000);
    await settle(50);
    queue.shutDown();
    await pool;
    expect(calls.filter((k) => k === "flaky").length).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(queue.failures("flaky")).toBe(0);
    expect(calls.filter((k) => k === "bad").length).toBe(1);
    expect(terminal).toEqual(["bad"]);
    expect(calls.filter((k) => k === "later").length).toBe(2);
  });
});
