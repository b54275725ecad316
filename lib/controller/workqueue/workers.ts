/**
 * The worker pool: `count` loops that take a key, reconcile it and report the outcome to the queue.
 *
 * Contract (controller-runtime's processNextWorkItem):
 * - success: forget the key's back-off; if the result asks for a requeue, `addAfter` it.
 * - TerminalError: forget, report, no retry.
 * - any other throw (including a bug): requeue with back-off, report; one bad key never kills a worker.
 * - `done(key)` always runs, so a key dirtied while it was worked is reconciled again.
 * The pool ends when the queue is shut down and every loop has finished its current key.
 */
import { TerminalError } from "../support/errors.ts";
import type { WorkQueue } from "./queue.ts";

export interface ReconcileResult {
  /** Look at this key again after this long even if nothing changes (e.g. waiting for a pod IP). */
  requeueAfterMs?: number;
}

export type Reconciler<K> = (key: K) => Promise<ReconcileResult>;

export interface WorkerHooks<K> {
  onRetry?(key: K, error: unknown, failures: number): void;
  onTerminal?(key: K, error: TerminalError): void;
}

async function workOne<K>(queue: WorkQueue<K>, key: K, reconcile: Reconciler<K>, hooks: WorkerHooks<K>) {
  try {
    const result = await reconcile(key);
    queue.forget(key);
    if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
  } catch (error) {
    if (error instanceof TerminalError) {
      queue.forget(key);
      hooks.onTerminal?.(key, error);
    } else {
      queue.addRateLimited(key);
      hooks.onRetry?.(key, error, queue.failures(key));
    }
  } finally {
    queue.done(key);
  }
}

export function startWorkers<K>(
  queue: WorkQueue<K>,
  count: number,
  reconcile: Reconciler<K>,
  hooks: WorkerHooks<K> = {},
): Promise<void> {
  const loop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      await workOne(queue, key, reconcile, hooks);
    }
  };
  return Promise.all(Array.from({ length: Math.max(1, count) }, loop)).then(() => undefined);
}
