/**
 * createPodInformer(): a shared-informer for pods, keeping only SlimPods (see slim-pod.ts).
 *
 * Contract (client-go's SharedInformer, trimmed to what the controller uses):
 * - `start()` runs one list+watch per scope (see namespace-scope.ts); `hasSynced()` turns true once every scope has
 *   listed once, and `waitForSync()` resolves then (or rejects when the informer is stopped first).
 * - Handlers receive only `(type, key)`; they read the current state from the cache (level-based), and a deleted pod
 *   is known by its key alone.
 * - Every `resyncMs` each cached pod is re-delivered as "update", so a missed or failed reaction is retried.
 * - `stop()` ends the watches and timers and resolves when the loops have returned.
 */
import type { Logger } from "../log/index.ts";
import { runListWatch, type WatchChange } from "./list-watch.ts";
import { type WatchScope, watchScopes } from "./namespace-scope.ts";
import { type PodChange, PodStore } from "./pod-store.ts";
import { isSlimPod, type PodKey, podKeyOf, type SlimPod, slimPod } from "./slim-pod.ts";
import type { KubeTransport } from "./transport.ts";

export type PodEventType = "add" | "update" | "delete";
export type PodEventHandler = (type: PodEventType, key: PodKey) => void;

export interface PodInformerOptions {
  transport: KubeTransport;
  /** WATCH_NAMESPACES: names or `*` globs; empty means every namespace. */
  namespaces?: readonly string[];
  /** 0 disables the periodic resync. */
  resyncMs?: number;
  log?: Logger;
  random?: () => number;
  pageSize?: number;
}

export interface PodInformer {
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
  on(handler: PodEventHandler): () => void;
  getByUid(uid: string): SlimPod | undefined;
  get(namespace: string, name: string): SlimPod | undefined;
  list(): SlimPod[];
  size(): number;
}

/** client-go controllers commonly resync every 10 minutes; long enough to cost nothing, short enough to heal. */
export const DEFAULT_RESYNC_MS = 10 * 60_000;

export function createPodInformer(options: PodInformerOptions): PodInformer {
  const store = new PodStore();
  const handlers = new Set<PodEventHandler>();
  const scopes = watchScopes(options.namespaces ?? []);
  const synced = new Set<WatchScope>();
  const abort = new AbortController();
  const syncWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let loops: Promise<void>[] = [];
  let resyncTimer: ReturnType<typeof setInterval> | undefined;

  const emit = (changes: PodChange[]) => {
    for (const change of changes)
      for (const handler of handlers) {
        try {
          handler(change.type, change.key);
        } catch (error) {
          options.log?.error("pod event handler threw", { error, uid: change.key.uid });
        }
      }
  };

  const slimOrWarn = (object: unknown): SlimPod | undefined => {
    const slim = slimPod(object);
    if (isSlimPod(slim)) return slim;
    options.log?.warn("ignoring a pod the API server sent in an unexpected shape", { problem: slim.error });
    return undefined;
  };

  const runScope = (scope: WatchScope) =>
    runListWatch({
      transport: options.transport,
      path: scope.path,
      signal: abort.signal,
      random: options.random,
      pageSize: options.pageSize,
      keep: (item) => {
        const pod = slimOrWarn(item);
        return pod && scope.covers(pod.metadata.namespace) ? pod : undefined;
      },
      onList(pods) {
        emit(store.replace(pods, scope.covers));
      },
      onEvent(change: WatchChange) {
        const pod = slimOrWarn(change.object);
        if (!pod || !scope.covers(pod.metadata.namespace)) return;
        emit(change.type === "DELETED" ? store.remove(pod) : store.upsert(pod));
      },
      onSynced() {
        synced.add(scope);
        if (synced.size === scopes.length) for (const waiter of syncWaiters.splice(0)) waiter.resolve();
      },
      onError(error) {
        options.log?.warn("pod list/watch failed; retrying with back-off", { path: scope.path, error });
      },
    });

  const hasSynced = () => synced.size === scopes.length;

  return {
    start() {
      if (loops.length > 0 || abort.signal.aborted) return;
      loops = scopes.map(runScope);
      const resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
      if (resyncMs > 0)
        resyncTimer = setInterval(() => {
          if (hasSynced()) emit(store.list().map((pod) => ({ type: "update", key: podKeyOf(pod) })));
        }, resyncMs);
    },
    async stop() {
      abort.abort();
      if (resyncTimer) clearInterval(resyncTimer);
      for (const waiter of syncWaiters.splice(0))
        waiter.reject(new Error("the pod informer stopped before it synced"));
      await Promise.all(loops);
    },
    hasSynced,
    waitForSync() {
      if (hasSynced()) return Promise.resolve();
      if (abort.signal.aborted) return Promise.reject(new Error("the pod informer is stopped"));
      return new Promise((resolve, reject) => syncWaiters.push({ resolve, reject }));
    },
    on(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    getByUid: (uid) => store.getByUid(uid),
    get: (namespace, name) => store.get(namespace, name),
    list: () => store.list(),
    size: () => store.size,
  };
}
