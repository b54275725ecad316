/**
 * valibot schemas for what clients send: the typed parts every object shares (apiVersion, kind, ObjectMeta) and
 * DeleteOptions. Type errors are a 400 BadRequest naming the field, as the API server's JSON decoding refuses them
 * ("cannot unmarshal ... into Go struct field ..."); the rest of an object is kept as sent.
 */
import * as v from "valibot";
import { isJsonObject, type Json, type JsonObject } from "./json.ts";
import { apiErrors } from "./status.ts";

const StringMap = v.nullable(v.record(v.string(), v.string()));

const ObjectMetaSchema = v.looseObject({
  name: v.optional(v.string()),
  generateName: v.optional(v.string()),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  resourceVersion: v.optional(v.string()),
  labels: v.optional(StringMap),
  annotations: v.optional(StringMap),
  finalizers: v.optional(v.nullable(v.array(v.string()))),
});

const KubeObjectSchema = v.looseObject({
  apiVersion: v.optional(v.string()),
  kind: v.optional(v.string()),
  metadata: v.optional(ObjectMetaSchema),
});

const DeleteOptionsSchema = v.looseObject({
  gracePeriodSeconds: v.optional(v.nullable(v.number())),
  propagationPolicy: v.optional(v.nullable(v.string())),
  preconditions: v.optional(
    v.nullable(
      v.looseObject({
        uid: v.optional(v.nullable(v.string())),
        resourceVersion: v.optional(v.nullable(v.string())),
      }),
    ),
  ),
});

function check(schema: v.GenericSchema, body: Json, what: string): JsonObject {
  if (!isJsonObject(body))
    throw apiErrors.badRequest(`the body of the request must be a JSON object (${what})`);
  const result = v.safeParse(schema, body);
  if (result.success) return body;
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? "(root)";
  throw apiErrors.badRequest(`${what}: cannot decode field ${field}: ${issue.message}`);
}

/** A create/update body or a patch result: an object whose metadata has the right types. */
export function checkKubeObject(body: Json): JsonObject {
  return check(KubeObjectSchema, body, "object");
}

/** The optional DeleteOptions body of a DELETE. */
export function checkDeleteOptions(body: Json): JsonObject {
  return body === null ? {} : check(DeleteOptionsSchema, body, "DeleteOptions");
}
