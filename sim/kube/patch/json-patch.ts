/**
 * JSON patch (RFC 6902), `application/json-patch+json`: add, remove, replace, move, copy and test operations on
 * JSON pointers (RFC 6901). A failed operation aborts the whole patch; the caller maps the error to a Status.
 */
import * as v from "valibot";
import { deepCopy, deepEqual, isJsonObject, type Json } from "../json.ts";

const JsonValueSchema = v.custom<Json>(() => true);
const OperationSchema = v.variant("op", [
  v.object({ op: v.picklist(["add", "replace", "test"]), path: v.string(), value: JsonValueSchema }),
  v.object({ op: v.literal("remove"), path: v.string() }),
  v.object({ op: v.picklist(["move", "copy"]), path: v.string(), from: v.string() }),
]);
export const JsonPatchSchema = v.array(OperationSchema);
export type JsonPatch = v.InferOutput<typeof JsonPatchSchema>;

export class JsonPatchError extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw new JsonPatchError(`path ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function containerOf(document: Json, steps: string[], pointer: string): Json {
  let current = document;
  for (const step of steps) {
    const next: Json | undefined = Array.isArray(current)
      ? current[Number(step)]
      : isJsonObject(current)
        ? current[step]
        : undefined;
    if (next === undefined) throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not exist`);
    current = next;
  }
  return current;
}

function getAt(document: Json, pointer: string): Json {
  return containerOf(document, parsePointer(pointer), pointer);
}

function arrayIndex(array: Json[], token: string, pointer: string, forInsert: boolean): number {
  if (forInsert && token === "-") return array.length;
  const index = Number(token);
  const limit = forInsert ? array.length : array.length - 1;
  if (!/^\d+$/.test(token) || index > limit)
    throw new JsonPatchError(`index ${JSON.stringify(token)} of ${JSON.stringify(pointer)} is out of range`);
  return index;
}

function modify(document: Json, pointer: string, change: "add" | "remove" | "replace", value?: Json): Json {
  const steps = parsePointer(pointer);
  const last = steps.pop();
  if (last === undefined) {
    if (change === "remove") throw new JsonPatchError("cannot remove the whole document");
    return deepCopy(value ?? null);
  }
  const parent = containerOf(document, steps, pointer);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, pointer, change === "add");
    if (change === "add") parent.splice(index, 0, deepCopy(value ?? null));
    else if (change === "remove") parent.splice(index, 1);
    else parent[index] = deepCopy(value ?? null);
  } else if (isJsonObject(parent)) {
    if (change !== "add" && !(last in parent))
      throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not exist`);
    if (change === "remove") delete parent[last];
    else parent[last] = deepCopy(value ?? null);
  } else throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not point into an object or array`);
  return document;
}

export function applyJsonPatch(target: Json, operations: JsonPatch): Json {
  let document = deepCopy(target);
  for (const operation of operations) {
    switch (operation.op) {
      case "add":
      case "replace":
        document = modify(document, operation.path, operation.op, operation.value);
        break;
      case "remove":
        document = modify(document, operation.path, "remove");
        break;
      case "test":
        if (!deepEqual(getAt(document, operation.path), operation.value))
          throw new JsonPatchError(`test failed for path ${JSON.stringify(operation.path)}`);
        break;
      case "move": {
        const moved = deepCopy(getAt(document, operation.from));
        document = modify(document, operation.from, "remove");
        document = modify(document, operation.path, "add", moved);
        break;
      }
      case "copy":
        document = modify(document, operation.path, "add", getAt(document, operation.from));
        break;
    }
  }
  return document;
}
