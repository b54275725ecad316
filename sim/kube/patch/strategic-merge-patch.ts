/**
 * Strategic merge patch, `application/strategic-merge-patch+json`
 * (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/). Like a merge patch,
 * except for lists the type declares mergeable: those merge element by element on their `patchMergeKey`, and
 * lists of scalars with `patchStrategy: merge` (finalizers) are unioned. Lists without a strategy are replaced.
 *
 * Directives honoured: `$patch: replace|delete|merge` on maps and list elements, `$deleteFromPrimitiveList/<field>`;
 * `$setElementOrder/<field>` and `$retainKeys` are accepted and ignored (ordering and retention are not modelled).
 */
import { deepCopy, isJsonObject, type Json, type JsonObject } from "../json.ts";

export interface MergeStrategy {
  /** Path of a list ("spec.containers", "spec.containers[].env") -> the key its elements merge on. */
  mergeKeys: Readonly<Record<string, string>>;
  /** Paths of scalar lists merged as sets. */
  setLists?: ReadonlySet<string>;
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function mergeKeyedList(
  target: Json[],
  patch: Json[],
  key: string,
  path: string,
  strategy: MergeStrategy,
): Json[] {
  if (patch.some((item) => isJsonObject(item) && item.$patch === "replace"))
    return patch
      .filter((item) => !(isJsonObject(item) && item.$patch === "replace"))
      .map((item) => deepCopy(item));
  const result = target.map((item) => deepCopy(item));
  for (const item of patch) {
    if (!isJsonObject(item)) continue;
    const identity = item[key];
    const index = result.findIndex((existing) => isJsonObject(existing) && existing[key] === identity);
    if (item.$patch === "delete") {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = mergeObject(result[index], item, `${path}[]`, strategy);
    else result.push(mergeObject(undefined, item, `${path}[]`, strategy));
  }
  return result;
}

function mergeValue(target: Json | undefined, patch: Json, path: string, strategy: MergeStrategy): Json {
  if (Array.isArray(patch)) {
    const key = strategy.mergeKeys[path];
    if (key && Array.isArray(target)) return mergeKeyedList(target, patch, key, path, strategy);
    if (key) return mergeKeyedList([], patch, key, path, strategy);
    if (strategy.setLists?.has(path) && Array.isArray(target))
      return [...target, ...patch.filter((item) => !target.includes(item))];
    return deepCopy(patch);
  }
  if (isJsonObject(patch)) return mergeObject(target, patch, path, strategy);
  return patch;
}

function mergeObject(
  target: Json | undefined,
  patch: JsonObject,
  path: string,
  strategy: MergeStrategy,
): JsonObject {
  if (patch.$patch === "replace") {
    const { $patch: _directive, ...rest } = patch;
    return mergeObject(undefined, rest, path, strategy);
  }
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys" || key.startsWith("$setElementOrder/")) continue;
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value))
        result[field] = current.filter((item) => !value.includes(item));
      continue;
    }
    if (value === null || (isJsonObject(value) && value.$patch === "delete")) {
      delete result[key];
      continue;
    }
    result[key] = mergeValue(result[key], value, childPath(path, key), strategy);
  }
  return result;
}

export function applyStrategicMergePatch(
  target: JsonObject,
  patch: JsonObject,
  strategy: MergeStrategy,
): JsonObject {
  return mergeObject(target, patch, "", strategy);
}
