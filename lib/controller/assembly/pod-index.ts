/**
 * The pod cache reconcile reads, keyed by UID, fed only by informer events.
 *
 * Why our own index: informers key by namespace/name, and a pod deleted and recreated under the same name is a
 * different pod (the original deduplicated by name and served the wrong one). By UID, a delete is final.
 */
import type { PodCache, PodView } from "../reconcile/index.ts";

export type PodEventType = "add" | "update" | "delete";

/** What the controller needs from an informer (lib/kube adapts client-node's to this). */
export interface PodSource {
  /** Delivers every add/update/delete after subscription (including re-list and resync updates). */
  subscribe(handler: (type: PodEventType, pod: PodView) => void): () => void;
  /** Every pod currently in the informer's cache. */
  list(): PodView[];
  /** Resolves once the first full list has been delivered. */
  waitForSync(): Promise<void>;
}

export interface PodIndex extends PodCache {
  apply(type: PodEventType, pod: PodView): string | undefined;
  uids(): string[];
}

export function createPodIndex(now: () => number): PodIndex {
  const byUid = new Map<string, PodView>();
  const changed = new Map<string, number>();
  return {
    get: (uid) => byUid.get(uid),
    changedAt: (uid) => changed.get(uid),
    uids: () => [...byUid.keys()],
    apply(type, pod) {
      const uid = pod.metadata?.uid;
      if (!uid) return undefined;
      if (type === "delete") {
        byUid.delete(uid);
        changed.delete(uid);
      } else {
        byUid.set(uid, pod);
        changed.set(uid, now());
      }
      return uid;
    },
  };
}
