/**
 * What a DELETE does, decided as kube-apiserver's generic registry does (rest.BeforeDelete plus the type's
 * CheckGracefulDelete; https://kubernetes.io/docs/concepts/workloads/pods/pod-termination/ and
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/delete-options/), pure:
 * - preconditions (`uid`, `resourceVersion`) are checked first: 409 Conflict worded as BeforeDelete words it;
 * - a type without graceful deletion (everything but pods) is removed at once;
 * - a pod not yet being deleted gets `deletionTimestamp = now + grace` and `deletionGracePeriodSeconds = grace`
 *   (a MODIFIED event); with grace 0 (unbound, finished, or asked for) it is then removed in the same request
 *   (a DELETED event follows the MODIFIED one, as on the real server);
 * - a pod already being deleted: a shorter grace moves deletionTimestamp earlier by the difference (0 removes it);
 *   a longer or no grace changes nothing; one marked with grace 0 (or none) is removed.
 */
import { isJsonObject, type Json, type JsonObject, objectAt, rfc3339, stringAt } from "./json.ts";
import type { ResourceType } from "./resources/types.ts";
import { apiErrors } from "./status.ts";

export type DeletionPlan =
  /** Remove the object now (one DELETED event). */
  | { action: "remove" }
  /** Graceful deletion is already under way with a grace no longer than asked: nothing changes. */
  | { action: "keep" }
  /** Store these deletion fields (MODIFIED); then remove the object too when the grace is 0. */
  | { action: "mark"; deletionTimestamp: string; gracePeriodSeconds: number; startsDeletion: boolean };

/** DeleteOptions.gracePeriodSeconds; a negative value means 1 s, as BeforeDelete has it. */
export function requestedGrace(options: Json): number | undefined {
  const value = isJsonObject(options) ? options.gracePeriodSeconds : undefined;
  if (typeof value !== "number") return undefined;
  return value < 0 ? 1 : value;
}

/** BeforeDelete's early precondition check: the type's Kind in the message and details (not its plural). */
export function checkDeletePreconditions(type: ResourceType, stored: JsonObject, options: Json): void {
  const preconditions =
    isJsonObject(options) && isJsonObject(options.preconditions) ? options.preconditions : {};
  const metadata = objectAt(stored, "metadata");
  const name = stringAt(metadata, "name") ?? "";
  const kind = { plural: type.kind, group: type.group };
  const uid = stringAt(preconditions, "uid");
  if (uid !== undefined && uid !== stringAt(metadata, "uid"))
    throw apiErrors.conflict(
      kind,
      name,
      `the UID in the precondition (${uid}) does not match the UID in record (${stringAt(metadata, "uid") ?? ""}). The object might have been deleted and then recreated`,
    );
  const version = stringAt(preconditions, "resourceVersion");
  if (version !== undefined && version !== stringAt(metadata, "resourceVersion"))
    throw apiErrors.conflict(
      kind,
      name,
      `the ResourceVersion in the precondition (${version}) does not match the ResourceVersion in record (${stringAt(metadata, "resourceVersion") ?? ""}). The object might have been modified`,
    );
}

export function planDeletion(
  type: ResourceType,
  stored: JsonObject,
  requested: number | undefined,
  now: Date,
): DeletionPlan {
  if (!type.gracePeriodFor) return { action: "remove" };
  const metadata = objectAt(stored, "metadata");
  const since = stringAt(metadata, "deletionTimestamp");
  if (since !== undefined) {
    const current = metadata.deletionGracePeriodSeconds;
    if (typeof current !== "number" || current === 0) return { action: "remove" };
    // Only a shorter grace period may be given once deletion started.
    if (requested === undefined || requested >= current) return { action: "keep" };
    const moved = new Date(Date.parse(since) + (requested - current) * 1000);
    return {
      action: "mark",
      deletionTimestamp: rfc3339(moved),
      gracePeriodSeconds: requested,
      startsDeletion: false,
    };
  }
  const grace = type.gracePeriodFor(stored, requested);
  return {
    action: "mark",
    deletionTimestamp: rfc3339(new Date(now.getTime() + grace * 1000)),
    gracePeriodSeconds: grace,
    startsDeletion: true,
  };
}
