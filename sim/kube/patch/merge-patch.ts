/**
 * JSON merge patch (RFC 7386), `application/merge-patch+json`: objects merge recursively, `null` deletes a key, and
 * anything else (arrays included) replaces the target value.
 */
import { deepCopy, isJsonObject, type Json } from "../json.ts";

export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return deepCopy(patch);
  const result = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
