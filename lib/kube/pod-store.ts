/**
 * PodStore: the informer's cache of SlimPods, indexed by UID and by namespace/name, and the only place that decides
 * which add/update/delete a list or watch event means.
 *
 * Contract:
 * - `upsert` reports "add" for an unseen UID, "update" otherwise (also when a pod was replaced under the same
 *   name: the old UID is reported deleted first, so keys are never confused).
 * - `replace(pods, scope)` is a re-list: pods in `scope` that are missing from the list are deleted, so a 410 or a
 *   cut watch cannot leave ghosts behind.
 * - Pure and synchronous; the returned changes are what the informer turns into callbacks.
 */
import { type PodKey, podKeyOf, type SlimPod } from "./slim-pod.ts";

export type PodChange = { type: "add" | "update" | "delete"; key: PodKey };

function nameKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class PodStore {
  private readonly byUid = new Map<string, SlimPod>();
  private readonly uidByName = new Map<string, string>();

  get size(): number {
    return this.byUid.size;
  }

  getByUid(uid: string): SlimPod | undefined {
    return this.byUid.get(uid);
  }

  get(namespace: string, name: string): SlimPod | undefined {
    const uid = this.uidByName.get(nameKey(namespace, name));
    return uid === undefined ? undefined : this.byUid.get(uid);
  }

  list(): SlimPod[] {
    return [...this.byUid.values()];
  }

  upsert(pod: SlimPod): PodChange[] {
    const key = podKeyOf(pod);
    const changes: PodChange[] = [];
    const byName = nameKey(key.namespace, key.name);
    const previousUid = this.uidByName.get(byName);
    if (previousUid !== undefined && previousUid !== key.uid) changes.push(...this.removeUid(previousUid));
    const type = this.byUid.has(key.uid) ? "update" : "add";
    this.byUid.set(key.uid, pod);
    this.uidByName.set(byName, key.uid);
    changes.push({ type, key });
    return changes;
  }

  remove(pod: SlimPod): PodChange[] {
    return this.removeUid(pod.metadata.uid);
  }

  /** A full list for one scope: upserts every listed pod and deletes the scope's pods the list no longer has. */
  replace(pods: SlimPod[], inScope: (namespace: string) => boolean): PodChange[] {
    const listed = new Set(pods.map((pod) => pod.metadata.uid));
    const changes: PodChange[] = [];
    for (const [uid, pod] of this.byUid)
      if (inScope(pod.metadata.namespace) && !listed.has(uid)) changes.push(...this.removeUid(uid));
    for (const pod of pods) changes.push(...this.upsert(pod));
    return changes;
  }

  private removeUid(uid: string): PodChange[] {
    const pod = this.byUid.get(uid);
    if (!pod) return [];
    this.byUid.delete(uid);
    const byName = nameKey(pod.metadata.namespace, pod.metadata.name);
    if (this.uidByName.get(byName) === uid) this.uidByName.delete(byName);
    return [{ type: "delete", key: podKeyOf(pod) }];
  }
}
