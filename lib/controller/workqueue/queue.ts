/**
 * A rate-limited work queue of keys (here pod UIDs), after client-go's workqueue.
 *
 * Contract:
 * - A key waits at most once (dirty set): adding it again while it waits is a no-op.
 * - A key is never handed to two workers at once (processing set): adding it while it is being worked marks it
 *   dirty, and `done()` puts it back, so the newest state is always reconciled once more.
 * - `addAfter` keeps only the earliest pending due time per key. `addRateLimited` waits the key's back-off;
 *   `forget` resets it after a success.
 * - `shutDown()` stops intake and drops keys not yet started (a new leader re-lists them); `get()` then answers
 *   undefined. `drain(boundMs)` resolves once in-flight keys are done, or false when the bound passes first.
 * - All timing comes from the injected Clock, all jitter from the injected Random.
 */
import type { Clock, Random, TimerHandle } from "../support/clock.ts";
import { type BackoffPolicy, createItemBackoff, DEFAULT_BACKOFF } from "./backoff.ts";

export interface WorkQueueOptions {
  clock: Clock;
  random: Random;
  backoff?: BackoffPolicy;
  /** Called whenever the number of waiting keys changes (the queue-depth gauge). */
  onDepthChange?: (depth: number) => void;
}

export interface WorkQueue<K> {
  add(key: K): void;
  addAfter(key: K, delayMs: number): void;
  addRateLimited(key: K): void;
  forget(key: K): void;
  failures(key: K): number;
  /** The next key to work on, or undefined once the queue is shut down. */
  get(): Promise<K | undefined>;
  done(key: K): void;
  /** Keys waiting to be worked (not counting delayed or in-flight ones). */
  depth(): number;
  inFlight(): number;
  isShuttingDown(): boolean;
  shutDown(): void;
  drain(boundMs: number): Promise<boolean>;
}

export function createWorkQueue<K>(options: WorkQueueOptions): WorkQueue<K> {
  const { clock } = options;
  const backoff = createItemBackoff<K>(options.random, options.backoff ?? DEFAULT_BACKOFF);
  const waiting: K[] = [];
  const dirty = new Set<K>();
  const processing = new Set<K>();
  const getters: ((key: K | undefined) => void)[] = [];
  const delayed = new Map<K, { dueAt: number; timer: TimerHandle }>();
  const drainers: (() => void)[] = [];
  let shuttingDown = false;

  const reportDepth = () => options.onDepthChange?.(waiting.length);

  const hand = (key: K) => {
    const getter = getters.shift();
    if (getter) {
      dirty.delete(key);
      processing.add(key);
      getter(key);
    } else {
      waiting.push(key);
      reportDepth();
    }
  };

  const add = (key: K) => {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    if (!processing.has(key)) hand(key);
  };

  const addAfter = (key: K, delayMs: number) => {
    if (shuttingDown) return;
    if (delayMs <= 0) return add(key);
    const dueAt = clock.now() + delayMs;
    const pending = delayed.get(key);
    if (pending && pending.dueAt <= dueAt) return;
    if (pending) clock.clearTimer(pending.timer);
    const timer = clock.setTimer(() => {
      delayed.delete(key);
      add(key);
    }, delayMs);
    delayed.set(key, { dueAt, timer });
  };

  return {
    add,
    addAfter,
    addRateLimited: (key) => addAfter(key, backoff.when(key)),
    forget: (key) => backoff.forget(key),
    failures: (key) => backoff.failures(key),
    get() {
      if (shuttingDown) return Promise.resolve(undefined);
      const key = waiting.shift();
      if (key === undefined) return new Promise((resolve) => getters.push(resolve));
      reportDepth();
      dirty.delete(key);
      processing.add(key);
      return Promise.resolve(key);
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key) && !shuttingDown) hand(key);
      if (processing.size === 0) for (const resolve of drainers.splice(0)) resolve();
    },
    depth: () => waiting.length,
    inFlight: () => processing.size,
    isShuttingDown: () => shuttingDown,
    shutDown() {
      if (shuttingDown) return;
      shuttingDown = true;
      for (const { timer } of delayed.values()) clock.clearTimer(timer);
      delayed.clear();
      waiting.length = 0;
      dirty.clear();
      reportDepth();
      for (const getter of getters.splice(0)) getter(undefined);
    },
    drain(boundMs) {
      if (processing.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = clock.setTimer(() => resolve(false), boundMs);
        drainers.push(() => {
          clock.clearTimer(timer);
          resolve(true);
        });
      });
    },
  };
}
