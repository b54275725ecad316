/**
 * What the API stand-in knows about one resource type: its names (as discovery advertises them), the field
 * selectors it supports, how strategic merge patch treats its lists, and its create-time defaults and validation.
 * Each resource lives in its own file and registers here through `ResourceType`.
 */
import { type JsonObject, readPath, stringAt } from "../json.ts";
import type { MergeStrategy } from "../patch/index.ts";
import type { FieldGetter } from "../selectors/index.ts";
import type { StatusCause } from "../status.ts";

export interface ResourceType {
  /** The API group: "" for core/v1 (served under /api/v1), else served under /apis/<group>/<version>. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Has a `/status` subresource: the main resource then ignores status changes and `/status` ignores the rest. */
  statusSubresource: boolean;
  /** DELETE answers with the deleted object (pods, namespaces) rather than a Success Status. */
  returnDeletedObject: boolean;
  fields: Readonly<Record<string, FieldGetter>>;
  mergeStrategy: MergeStrategy;
  /** Defaults applied to every body the server decodes (create and update), as the API's defaulting funcs are. */
  applyDefaults?(object: JsonObject): void;
  /** Server-side defaults on create; `now` is RFC 3339 with second precision, as metav1.Time serializes. */
  prepareForCreate(object: JsonObject, now: string): void;
  validate(object: JsonObject): StatusCause[];
  /** Extra rules for updates (immutable fields); `previous` is the stored object. */
  validateUpdate?(next: JsonObject, previous: JsonObject): StatusCause[];
  /** Server-side changes to an update of the main resource that changes something (a pod's generation). */
  prepareForUpdate?(next: JsonObject, previous: JsonObject): void;
  /**
   * Present for types with graceful deletion (pods): the grace period a DELETE that starts deleting `object`
   * gets, from the DeleteOptions' `requested` seconds (already clamped to >= 1 when negative) or the object's
   * default, as the type's CheckGracefulDelete decides. 0 deletes at once.
   */
  gracePeriodFor?(object: JsonObject, requested: number | undefined): number;
  /** Subresources that only take a POST (pods/binding), by path segment, with the kind they accept. */
  createSubresources?: Readonly<Record<string, string>>;
  /** The text of the `Warning: 299` header a real server adds to every request for a deprecated type. */
  deprecationWarning?: string;
}

/** The `apiVersion` of the type's objects: `v1` for core, `<group>/<version>` otherwise. */
export function apiVersionOf(type: Pick<ResourceType, "group" | "version">): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export const metadataFields: Record<string, FieldGetter> = {
  "metadata.name": (object) => stringField(object, "metadata.name"),
  "metadata.namespace": (object) => stringField(object, "metadata.namespace"),
};

/**
 * What plain namespaced types share (Endpoints, EndpointSlice): no status subresource, a Success Status on delete,
 * metadata field selectors only, and only ObjectMeta's own lists merged by key.
 */
export const PLAIN_NAMESPACED = {
  namespaced: true,
  statusSubresource: false,
  returnDeletedObject: false,
  fields: metadataFields,
  mergeStrategy: {
    mergeKeys: { "metadata.ownerReferences": "uid" },
    setLists: new Set(["metadata.finalizers"]),
  },
  prepareForCreate() {},
} satisfies Partial<ResourceType>;

export function stringField(object: JsonObject, path: string): string {
  const value = readPath(object, path);
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function required(field: string, what = "Required value"): StatusCause {
  return { reason: "FieldValueRequired", message: what, field };
}

export function invalidValue(field: string, value: string, why: string): StatusCause {
  return { reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field };
}

/** k8s.io/apimachinery/pkg/util/validation's wording (1.37), example and regex included. */
const NAME_RULES = {
  subdomain: {
    pattern: DNS_SUBDOMAIN,
    limit: 253,
    why: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  label: {
    pattern: DNS_LABEL,
    limit: 63,
    why: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
} as const;

export function validateName(object: JsonObject, style: "subdomain" | "label"): StatusCause[] {
  const metadata = object.metadata as JsonObject | undefined;
  const name = stringAt(metadata, "name") ?? "";
  if (!name) return [required("metadata.name", "Required value: name or generateName is required")];
  const rule = NAME_RULES[style];
  // One cause per broken rule, as IsDNS1123Subdomain/Label return them.
  const causes: StatusCause[] = [];
  if (name.length > rule.limit)
    causes.push(invalidValue("metadata.name", name, `must be no more than ${rule.limit} characters`));
  if (!rule.pattern.test(name)) causes.push(invalidValue("metadata.name", name, rule.why));
  return causes;
}
