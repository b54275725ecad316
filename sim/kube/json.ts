/**
 * JSON value types and the few helpers every part of the API stand-in needs: objects are plain JSON, stored and
 * returned as deep copies so no caller can mutate the store behind its back.
 */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepCopy<T extends Json>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => key in b && deepEqual(a[key], b[key]));
  }
  return false;
}

/** Reads a dotted path ("metadata.name") from an object; undefined when any step is missing. */
export function readPath(object: JsonObject, path: string): Json | undefined {
  let current: Json | undefined = object;
  for (const step of path.split(".")) {
    if (!isJsonObject(current)) return undefined;
    current = current[step];
  }
  return current;
}

export function objectAt(object: JsonObject, key: string): JsonObject {
  const value = object[key];
  if (isJsonObject(value)) return value;
  const created: JsonObject = {};
  object[key] = created;
  return created;
}

export function stringAt(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === "string" ? value : undefined;
}

/** metav1.Time on the wire: RFC 3339 with second precision. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
