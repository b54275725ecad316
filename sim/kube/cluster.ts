/**
 * The stand-in's etcd: every object of every type, one cluster-wide resourceVersion counter bumped by each write,
 * and per type a bounded history of changes that watches replay from and that consistent paginated lists read
 * old states from.
 *
 * Invariants (checked by `assertInvariants()` in tests):
 * - every change with resourceVersion > `floor` of its type is in that type's history, in order;
 * - an object's metadata.resourceVersion is the revision of the last change to it;
 * - the history never holds more than `historyLimit` changes; dropping one raises `floor` to its revision, which is
 *   what makes older versions "compacted" (410 Gone), as etcd compaction does.
 * Pure: no clock, no I/O. Listeners are called synchronously inside the write, so a watch that replays history and
 * then subscribes in the same tick never misses or duplicates a change.
 */
import { deepCopy, type JsonObject, objectAt, stringAt } from "./json.ts";
import { apiErrors } from "./status.ts";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  type: ChangeType;
  revision: number;
  object: JsonObject;
  /** The object before a MODIFIED or DELETED change (what undoing the change restores). */
  previous?: JsonObject;
}

export type ChangeListener = (change: Change) => void;

interface TypeState {
  objects: Map<string, JsonObject>;
  history: Change[];
  floor: number;
  listeners: Set<ChangeListener>;
}

export const DEFAULT_HISTORY_LIMIT = 1000;

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(object: JsonObject): string {
  const metadata = objectAt(object, "metadata");
  return objectKey(stringAt(metadata, "namespace"), stringAt(metadata, "name") ?? "");
}

export class Cluster {
  private revision = 0;
  private readonly types = new Map<string, TypeState>();

  constructor(private readonly historyLimit = DEFAULT_HISTORY_LIMIT) {}

  get resourceVersion(): number {
    return this.revision;
  }

  private state(plural: string): TypeState {
    let state = this.types.get(plural);
    if (!state) {
      state = { objects: new Map(), history: [], floor: 0, listeners: new Set() };
      this.types.set(plural, state);
    }
    return state;
  }

  get(plural: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const object = this.state(plural).objects.get(objectKey(namespace, name));
    return object && deepCopy(object);
  }

  /** Objects sorted by key (namespace, then name), as etcd ranges return them. */
  list(plural: string, namespace?: string): JsonObject[] {
    return this.sorted(this.state(plural).objects, namespace).map((object) => deepCopy(object));
  }

  /**
   * The objects as they were at `revision`, sorted by key; throws 410 Expired when that revision was compacted.
   * Not copied (large paginated lists stay cheap): callers must only read them.
   */
  listAt(plural: string, revision: number, namespace?: string): readonly JsonObject[] {
    const state = this.state(plural);
    if (revision >= this.revision) return this.sorted(state.objects, namespace);
    if (revision < state.floor) throw this.expired(revision, state.floor);
    const objects = new Map(state.objects);
    for (let i = state.history.length - 1; i >= 0; i--) {
      const change = state.history[i];
      if (!change || change.revision <= revision) break;
      const key = keyOf(change.object);
      if (change.type === "ADDED") objects.delete(key);
      else if (change.previous) objects.set(key, change.previous);
    }
    return this.sorted(objects, namespace);
  }

  /** Changes after `revision`, oldest first; throws 410 Expired when some were compacted away. */
  changesSince(plural: string, revision: number): Change[] {
    const state = this.state(plural);
    if (revision < state.floor) throw this.expired(revision, state.floor);
    return state.history
      .filter((change) => change.revision > revision)
      .map((change) => structuredClone(change));
  }

  subscribe(plural: string, listener: ChangeListener): () => void {
    const listeners = this.state(plural).listeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Stores a new object; metadata.resourceVersion is set here. Callers check existence first. */
  insert(plural: string, object: JsonObject): JsonObject {
    return this.write(plural, "ADDED", object, undefined);
  }

  replace(plural: string, object: JsonObject): JsonObject {
    return this.write(plural, "MODIFIED", object, this.state(plural).objects.get(keyOf(object)));
  }

  /** Removes an object; the DELETED change carries `finalObject` (the object with its deletion revision). */
  remove(plural: string, finalObject: JsonObject): JsonObject {
    return this.write(plural, "DELETED", finalObject, this.state(plural).objects.get(keyOf(finalObject)));
  }

  /** Forgets all history: any revision before now answers 410 Gone (etcd compaction). */
  compactAll(): void {
    for (const state of this.types.values()) {
      state.history = [];
      state.floor = this.revision;
    }
  }

  floorOf(plural: string): number {
    return this.state(plural).floor;
  }

  assertInvariants(): void {
    for (const [plural, state] of this.types) {
      if (state.history.length > this.historyLimit) throw new Error(`${plural}: history exceeds its limit`);
      let last = state.floor;
      for (const change of state.history) {
        if (change.revision <= last) throw new Error(`${plural}: history out of order at ${change.revision}`);
        last = change.revision;
      }
      for (const object of state.objects.values()) {
        const version = Number(stringAt(objectAt(object, "metadata"), "resourceVersion"));
        if (!(version > 0 && version <= this.revision))
          throw new Error(`${plural}: bad resourceVersion ${version}`);
      }
    }
  }

  private write(
    plural: string,
    type: ChangeType,
    object: JsonObject,
    previous: JsonObject | undefined,
  ): JsonObject {
    const state = this.state(plural);
    this.revision++;
    const stored = deepCopy(object);
    objectAt(stored, "metadata").resourceVersion = String(this.revision);
    const key = keyOf(stored);
    if (type === "DELETED") state.objects.delete(key);
    else state.objects.set(key, stored);
    const change: Change = {
      type,
      revision: this.revision,
      object: stored,
      ...(previous ? { previous } : {}),
    };
    state.history.push(change);
    while (state.history.length > this.historyLimit) {
      const dropped = state.history.shift();
      if (dropped) state.floor = dropped.revision;
    }
    for (const listener of state.listeners) listener(change);
    return deepCopy(stored);
  }

  private sorted(objects: Map<string, JsonObject>, namespace: string | undefined): JsonObject[] {
    const prefix = namespace ? `${namespace}/` : "";
    return [...objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object);
  }

  private expired(revision: number, floor: number) {
    return apiErrors.expired(`too old resource version: ${revision} (${floor + 1})`);
  }
}
