/**
 * The write verbs (create, update, patch, delete) with kube-apiserver's rules: server-owned metadata (uid,
 * resourceVersion, creationTimestamp) is set here and cannot be changed by clients; a stale resourceVersion is a
 * 409 Conflict; the `status` subresource and the main resource each ignore the other's part; a write that changes
 * nothing creates no revision and no watch event; namespaced objects need their namespace to exist.
 * Deletion is immediate whatever `gracePeriodSeconds` says (there is no graceful-termination phase): the DELETED
 * event carries deletionTimestamp and deletionGracePeriodSeconds: 0, as the final event of a real deletion does.
 * Pure apart from the injected clock and random source.
 */
import type { Cluster } from "./cluster.ts";
import { deepEqual, isJsonObject, type Json, type JsonObject, objectAt, stringAt } from "./json.ts";
import { checkKubeObject } from "./object-schema.ts";
import { applyPatch } from "./patch/index.ts";
import { apiVersionOf, RESOURCE_TYPES, type ResourceType } from "./resources/index.ts";
import { namespaces } from "./resources/namespaces.ts";
import { apiErrors, describeResource, type KubeStatus, successStatus } from "./status.ts";

export interface WriteServices {
  cluster: Cluster;
  now(): Date;
  newUid(): string;
  /** Five characters for generateName, from the alphabet the API server uses. */
  randomSuffix(): string;
}

export type Subresource = "status" | undefined;

const SERVER_OWNED = [
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
  "selfLink",
  "generation",
];
const UNDELETABLE_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function checkKind(type: ResourceType, body: JsonObject): void {
  const expected = apiVersionOf(type);
  const apiVersion = body.apiVersion;
  if (apiVersion !== undefined && apiVersion !== expected)
    throw apiErrors.badRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expected})`,
    );
  const kind = body.kind;
  if (kind !== undefined && kind !== type.kind)
    throw apiErrors.badRequest(
      `${String(kind)} in version "${type.version}" cannot be handled as a ${type.kind}`,
    );
}

function sameVersion(a: JsonObject, b: JsonObject): boolean {
  const strip = (object: JsonObject) => {
    const copy = structuredClone(object);
    delete objectAt(copy, "metadata").resourceVersion;
    return copy;
  };
  return deepEqual(strip(a), strip(b));
}

export class Writes {
  constructor(private readonly services: WriteServices) {}

  private nowText(): string {
    return rfc3339(this.services.now());
  }

  private existing(type: ResourceType, namespace: string | undefined, name: string): JsonObject {
    const object = this.services.cluster.get(type.plural, namespace, name);
    if (!object) throw apiErrors.notFound(type, name);
    return object;
  }

  private requireNamespace(namespace: string | undefined): void {
    if (namespace && !this.services.cluster.get(namespaces.plural, undefined, namespace))
      throw apiErrors.notFound(namespaces.plural, namespace);
  }

  private validated(type: ResourceType, object: JsonObject, causes = type.validate(object)): JsonObject {
    const name = stringAt(objectAt(object, "metadata"), "name") ?? "";
    if (causes.length > 0) throw apiErrors.invalid(type.kind, name, causes);
    return object;
  }

  create(type: ResourceType, namespace: string | undefined, body: Json): JsonObject {
    const object = structuredClone(checkKubeObject(body));
    checkKind(type, object);
    const metadata = objectAt(object, "metadata");
    const bodyNamespace = stringAt(metadata, "namespace");
    if (type.namespaced && bodyNamespace && bodyNamespace !== namespace)
      throw apiErrors.badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    this.requireNamespace(namespace);
    for (const field of SERVER_OWNED) delete metadata[field];
    const generateName = stringAt(metadata, "generateName");
    if (!stringAt(metadata, "name") && generateName)
      metadata.name = generateName + this.services.randomSuffix();
    if (type.namespaced && namespace) metadata.namespace = namespace;
    else delete metadata.namespace;
    metadata.uid = this.services.newUid();
    metadata.creationTimestamp = this.nowText();
    const typed: JsonObject = { apiVersion: apiVersionOf(type), kind: type.kind, ...object };
    type.applyDefaults?.(typed);
    type.prepareForCreate(typed, this.nowText());
    this.validated(type, typed);
    const name = stringAt(metadata, "name") ?? "";
    if (this.services.cluster.get(type.plural, namespace, name)) throw apiErrors.alreadyExists(type, name);
    return this.services.cluster.insert(type.plural, typed);
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Json,
    sub: Subresource,
  ): JsonObject {
    const previous = this.existing(type, namespace, name);
    const incoming = structuredClone(checkKubeObject(body));
    checkKind(type, incoming);
    const metadata = objectAt(incoming, "metadata");
    const bodyName = stringAt(metadata, "name");
    if (bodyName !== undefined && bodyName !== name)
      throw apiErrors.badRequest(
        `the name of the object (${bodyName}) does not match the name on the URL (${name})`,
      );
    const wanted = stringAt(metadata, "resourceVersion");
    const current = stringAt(objectAt(previous, "metadata"), "resourceVersion");
    if (wanted && wanted !== current)
      throw apiErrors.conflict(
        type,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
      );
    const next = this.merged(type, previous, incoming, sub);
    type.applyDefaults?.(next);
    if (sameVersion(next, previous)) return previous;
    const extra = sub === "status" ? [] : (type.validateUpdate?.(next, previous) ?? []);
    this.validated(type, next, [...type.validate(next), ...extra]);
    return this.services.cluster.replace(type.plural, next);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: Json,
    sub: Subresource,
  ): JsonObject {
    const previous = this.existing(type, namespace, name);
    const patched = applyPatch(contentType, previous, body, type.mergeStrategy);
    const metadata = objectAt(patched, "metadata");
    // A patch that names a resourceVersion is a precondition; one that does not is unconditional.
    if (stringAt(metadata, "resourceVersion") === undefined)
      metadata.resourceVersion = stringAt(objectAt(previous, "metadata"), "resourceVersion") ?? "";
    return this.update(type, namespace, name, patched, sub);
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: Json,
  ): JsonObject | KubeStatus {
    const previous = this.existing(type, namespace, name);
    const metadata = objectAt(previous, "metadata");
    const preconditions =
      isJsonObject(options) && isJsonObject(options.preconditions) ? options.preconditions : {};
    for (const field of ["uid", "resourceVersion"] as const) {
      const wanted = stringAt(preconditions, field);
      const actual = stringAt(metadata, field);
      if (wanted !== undefined && wanted !== actual)
        throw apiErrors.conflict(
          type,
          name,
          `Precondition failed: ${field === "uid" ? "UID" : "ResourceVersion"} in precondition: ${wanted}, ${field === "uid" ? "UID" : "ResourceVersion"} in object meta: ${actual}`,
        );
    }
    if (type === namespaces && UNDELETABLE_NAMESPACES.has(name))
      throw apiErrors.forbiddenNamespaceDeletion(name);
    if (type === namespaces) this.deleteNamespaceContents(name);
    metadata.deletionTimestamp = this.nowText();
    if (type.plural === "pods") metadata.deletionGracePeriodSeconds = 0;
    if (type === namespaces) objectAt(previous, "status").phase = "Terminating";
    const removed = this.services.cluster.remove(type.plural, previous);
    if (type.returnDeletedObject) return removed;
    return successStatus({ name, ...describeResource(type).details, uid: stringAt(metadata, "uid") ?? "" });
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const type of RESOURCE_TYPES) {
      if (!type.namespaced) continue;
      for (const object of this.services.cluster.list(type.plural, namespace)) {
        const name = stringAt(objectAt(object, "metadata"), "name") ?? "";
        this.delete(type, namespace, name, null);
      }
    }
  }

  private merged(
    type: ResourceType,
    previous: JsonObject,
    incoming: JsonObject,
    sub: Subresource,
  ): JsonObject {
    const keep = objectAt(previous, "metadata");
    if (sub === "status") {
      // The status endpoint takes only status (and leaves spec and metadata alone), as the pod status strategy does.
      return { ...previous, status: incoming.status ?? {} };
    }
    const next: JsonObject = { ...incoming, apiVersion: apiVersionOf(type), kind: type.kind };
    const metadata = objectAt(next, "metadata");
    for (const field of [
      "uid",
      "creationTimestamp",
      "name",
      "namespace",
      "resourceVersion",
      "deletionTimestamp",
    ]) {
      if (keep[field] === undefined) delete metadata[field];
      else metadata[field] = keep[field] ?? null;
    }
    if (type.statusSubresource) {
      if (previous.status === undefined) delete next.status;
      else next.status = previous.status;
    }
    return next;
  }
}
