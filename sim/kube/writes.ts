/**
 * The write verbs (create, update, patch, delete, and pods/binding) with kube-apiserver's rules: server-owned
 * metadata (uid, resourceVersion, creationTimestamp, generation, deletion fields) is set here and cannot be changed
 * by clients; a stale resourceVersion is a 409 Conflict; the `status` subresource and the main resource each ignore
 * the other's part; a write that changes nothing creates no revision and no watch event; creates pass the
 * admission plugins of admission.ts (namespace must exist, a pod's ServiceAccount must exist).
 *
 * What kube-controller-manager would do a moment later, done synchronously here: every new namespace gets its
 * `default` ServiceAccount (the serviceaccount controller, within a second on a real cluster), re-created if it is
 * deleted. Deletion follows deletion.ts (graceful for pods bound to a node). Deleting a namespace removes its
 * objects at once (a real one goes Terminating until the namespace controller has emptied it).
 * Pure apart from the injected clock and random source.
 */
import { admitCreate } from "./admission.ts";
import { bindPod } from "./binding.ts";
import type { Cluster } from "./cluster.ts";
import { checkDeletePreconditions, planDeletion, requestedGrace } from "./deletion.ts";
import { deepEqual, type Json, type JsonObject, objectAt, rfc3339, stringAt } from "./json.ts";
import { checkKubeObject } from "./object-schema.ts";
import { applyPatch } from "./patch/index.ts";
import { apiVersionOf, RESOURCE_TYPES, type ResourceType } from "./resources/index.ts";
import { namespaces } from "./resources/namespaces.ts";
import { DEFAULT_SERVICE_ACCOUNT, serviceAccounts } from "./resources/serviceaccounts.ts";
import { apiErrors, describeResource, type SuccessStatus, successStatus } from "./status.ts";

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
  "deletionGracePeriodSeconds",
  "selfLink",
  "generation",
];
/** What an update keeps from the stored object whatever the client sent. */
const KEPT_ON_UPDATE = [
  "uid",
  "creationTimestamp",
  "name",
  "namespace",
  "resourceVersion",
  "generation",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
];
const UNDELETABLE_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

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
    admitCreate(this.services.cluster, type, namespace, object);
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
    const existing = this.services.cluster.get(type.plural, namespace, name);
    // The name of an object still being deleted (a terminating pod) is taken too.
    if (existing)
      throw apiErrors.alreadyExists(
        type,
        name,
        Boolean(stringAt(objectAt(existing, "metadata"), "deletionTimestamp")),
      );
    const created = this.services.cluster.insert(type.plural, typed);
    if (type === namespaces) this.ensureDefaultServiceAccount(name);
    return created;
  }

  /** The serviceaccount controller's job: every namespace has a `default` ServiceAccount. */
  private ensureDefaultServiceAccount(namespace: string): void {
    if (!this.services.cluster.get(namespaces.plural, undefined, namespace)) return;
    if (this.services.cluster.get(serviceAccounts.plural, namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    this.create(serviceAccounts, namespace, { metadata: { name: DEFAULT_SERVICE_ACCOUNT } });
  }

  /** pods/binding (binding.ts). */
  bind(namespace: string, name: string, body: Json): SuccessStatus {
    return bindPod(this.services.cluster, this.services.now(), namespace, name, body);
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
    if (sub !== "status") type.prepareForUpdate?.(next, previous);
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
  ): JsonObject | SuccessStatus {
    const stored = this.existing(type, namespace, name);
    checkDeletePreconditions(type, stored, options);
    if (type === namespaces) return this.deleteNamespace(stored, name);
    const plan = planDeletion(type, stored, requestedGrace(options), this.services.now());
    if (plan.action === "keep") return stored;
    if (plan.action === "remove") return this.finishDeletion(type, stored);
    const metadata = objectAt(stored, "metadata");
    metadata.deletionTimestamp = plan.deletionTimestamp;
    metadata.deletionGracePeriodSeconds = plan.gracePeriodSeconds;
    if (plan.startsDeletion && typeof metadata.generation === "number" && metadata.generation > 0)
      metadata.generation += 1;
    const marked = this.services.cluster.replace(type.plural, stored);
    // Grace left: the object stays until its node (or a forced DELETE) finishes the deletion.
    if (plan.gracePeriodSeconds > 0) return marked;
    return this.finishDeletion(type, marked);
  }

  private finishDeletion(type: ResourceType, object: JsonObject): JsonObject | SuccessStatus {
    const removed = this.services.cluster.remove(type.plural, object);
    const metadata = objectAt(removed, "metadata");
    const name = stringAt(metadata, "name") ?? "";
    if (type === serviceAccounts && name === DEFAULT_SERVICE_ACCOUNT)
      this.ensureDefaultServiceAccount(stringAt(metadata, "namespace") ?? "");
    if (type.returnDeletedObject) return removed;
    return successStatus({ name, ...describeResource(type).details, uid: stringAt(metadata, "uid") ?? "" });
  }

  private deleteNamespace(namespace: JsonObject, name: string): JsonObject {
    if (UNDELETABLE_NAMESPACES.has(name)) throw apiErrors.forbiddenNamespaceDeletion(name);
    const now = rfc3339(this.services.now());
    for (const type of RESOURCE_TYPES) {
      if (!type.namespaced) continue;
      for (const object of this.services.cluster.list(type.plural, name)) {
        // Gracefully deletable objects (pods) end as a finished deletion does: marked, with no grace left.
        const metadata = objectAt(object, "metadata");
        if (type.gracePeriodFor) {
          metadata.deletionTimestamp ??= now;
          metadata.deletionGracePeriodSeconds = 0;
        }
        this.services.cluster.remove(type.plural, object);
      }
    }
    objectAt(namespace, "metadata").deletionTimestamp = now;
    objectAt(namespace, "status").phase = "Terminating";
    return this.services.cluster.remove(namespaces.plural, namespace);
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
    for (const field of KEPT_ON_UPDATE) {
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
