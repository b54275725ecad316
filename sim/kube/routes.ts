/**
 * Maps a `/api/v1/...` or `/apis/<group>/<version>/...` path to what it addresses, following the URL layout of
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris, including the legacy `.../watch/...`
 * prefix.
 */
import { type ResourceType, resourceTypeByPlural } from "./resources/index.ts";
import { namespaces } from "./resources/namespaces.ts";
import { apiErrors } from "./status.ts";

export interface Target {
  type: ResourceType;
  /** The namespace in the path (never set for cluster-scoped types). */
  namespace: string | undefined;
  /** Absent for a collection. */
  name: string | undefined;
  /** `status`, or a create-only subresource of the type (pods/binding). */
  subresource: "status" | "binding" | undefined;
  watchPrefix: boolean;
}

function subresourceOf(type: ResourceType, segment: string | undefined): Target["subresource"] {
  if (segment === undefined) return undefined;
  if (segment === "status" && type.statusSubresource) return "status";
  if (segment === "binding" && type.createSubresources?.binding) return "binding";
  throw apiErrors.noSuchPath();
}

/**
 * `segments` are the path parts after `/api/v1` (group "") or `/apis/<group>/<version>`; returns undefined for the
 * discovery document itself. Namespaces are core/v1, so `namespaces/{name}` alone only resolves in the core group;
 * other cluster-scoped types (nodes) are `<plural>/{name}`.
 */
export function resolveTarget(segments: string[], group = ""): Target | undefined {
  const parts = segments.map((segment) => decodeURIComponent(segment));
  const watchPrefix = parts[0] === "watch";
  if (watchPrefix) parts.shift();
  if (parts.length === 0) return undefined;
  const [first, second, third, fourth, fifth, ...rest] = parts;
  if (rest.length > 0 || first === undefined) throw apiErrors.noSuchPath();
  const scoped = first === "namespaces" && second !== undefined && third !== undefined;
  const namespacedType = scoped ? resourceTypeByPlural(third, group) : undefined;
  if (namespacedType?.namespaced)
    return {
      type: namespacedType,
      namespace: second,
      name: fourth,
      subresource: subresourceOf(namespacedType, fifth),
      watchPrefix,
    };
  if (first === "namespaces" && fourth === undefined && group === "")
    return {
      type: namespaces,
      namespace: undefined,
      name: second,
      subresource: subresourceOf(namespaces, third),
      watchPrefix,
    };
  const type = resourceTypeByPlural(first, group);
  if (!type || fourth !== undefined) throw apiErrors.noSuchPath();
  // A cluster-scoped type (nodes): <plural>[/<name>[/<subresource>]].
  if (!type.namespaced)
    return { type, namespace: undefined, name: second, subresource: subresourceOf(type, third), watchPrefix };
  if (second !== undefined) throw apiErrors.noSuchPath();
  // A namespaced type without a namespace: the all-namespaces collection (list and watch only).
  return { type, namespace: undefined, name: undefined, subresource: undefined, watchPrefix };
}
