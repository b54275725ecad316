/**
 * Applies a PATCH body according to its Content-Type, the way kube-apiserver dispatches
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply). Server-side apply
 * (`application/apply-patch+yaml`) is not supported and answers 415 like any unknown type.
 */
import * as v from "valibot";
import { isJsonObject, type Json, type JsonObject } from "../json.ts";
import { apiErrors } from "../status.ts";
import { applyJsonPatch, JsonPatchError, JsonPatchSchema } from "./json-patch.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { applyStrategicMergePatch, type MergeStrategy } from "./strategic-merge-patch.ts";

export type { MergeStrategy } from "./strategic-merge-patch.ts";
export { applyJsonPatch, applyMergePatch, applyStrategicMergePatch };

export function applyPatch(
  contentType: string,
  target: JsonObject,
  body: Json,
  strategy: MergeStrategy,
): JsonObject {
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  let result: Json;
  switch (mediaType) {
    case "application/merge-patch+json":
      if (!isJsonObject(body)) throw apiErrors.badRequest("a merge patch must be a JSON object");
      result = applyMergePatch(target, body);
      break;
    case "application/strategic-merge-patch+json":
      if (!isJsonObject(body)) throw apiErrors.badRequest("a strategic merge patch must be a JSON object");
      result = applyStrategicMergePatch(target, body, strategy);
      break;
    case "application/json-patch+json": {
      const operations = v.safeParse(JsonPatchSchema, body);
      if (!operations.success)
        throw apiErrors.badRequest(
          `json patch is not an array of RFC 6902 operations: ${operations.issues[0].message}`,
        );
      try {
        result = applyJsonPatch(target, operations.output);
      } catch (error) {
        if (error instanceof JsonPatchError) throw apiErrors.rejectedPatch(error.message);
        throw error;
      }
      break;
    }
    default:
      throw apiErrors.unsupportedMediaType(contentType);
  }
  if (!isJsonObject(result)) throw apiErrors.badRequest("the patch did not produce an object");
  return result;
}
