/**
 * Kubernetes `Status` objects, the body of every error the API server returns
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/). Messages, reasons and codes follow
 * what kube-apiserver's k8s.io/apimachinery/pkg/api/errors constructors produce, so clients that branch on
 * `reason` (IsNotFound, IsConflict, IsGone...) behave as against a real server.
 */
import type { JsonObject } from "./json.ts";

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: { continue?: string };
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Thrown by any handler; the app turns it into the Status response. */
export class ApiError extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
    this.name = "ApiError";
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  return new ApiError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

/** A resource as errors name it: a core plural, or a type whose group qualifies it ("endpointslices.discovery.k8s.io"). */
export type ResourceRef = string | { plural: string; group: string };

/** The qualified name for messages and the group/kind for details, as schema.GroupResource prints them. */
export function describeResource(resource: ResourceRef): { text: string; details: StatusDetails } {
  if (typeof resource === "string") return { text: resource, details: { kind: resource } };
  const { plural, group } = resource;
  return {
    text: group ? `${plural}.${group}` : plural,
    details: { ...(group ? { group } : {}), kind: plural },
  };
}

function aboutObject(code: number, reason: string, resource: ResourceRef, name: string, message: string) {
  const { text, details } = describeResource(resource);
  return failure(code, reason, message.replace("$resource", text), { name, ...details });
}

export const apiErrors = {
  notFound: (resource: ResourceRef, name: string) =>
    aboutObject(404, "NotFound", resource, name, `$resource "${name}" not found`),
  noSuchPath: () => failure(404, "NotFound", "the server could not find the requested resource", {}),
  alreadyExists: (resource: ResourceRef, name: string) =>
    aboutObject(409, "AlreadyExists", resource, name, `$resource "${name}" already exists`),
  conflict: (resource: ResourceRef, name: string, why: string) =>
    aboutObject(
      409,
      "Conflict",
      resource,
      name,
      `Operation cannot be fulfilled on $resource "${name}": ${why}`,
    ),
  invalid: (kind: string, name: string, causes: StatusCause[]) =>
    failure(
      422,
      "Invalid",
      `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(", ")}`,
      { name, kind, causes },
    ),
  badRequest: (message: string) => failure(400, "BadRequest", message),
  /** What NewGenericServerResponse(422) says when a JSON patch cannot be applied. */
  rejectedPatch: (why: string) =>
    failure(422, "Invalid", `the server rejected our request due to an error in our request: ${why}`),
  unauthorized: () => failure(401, "Unauthorized", "Unauthorized"),
  forbidden: (
    user: string,
    verb: string,
    type: { plural: string; group: string },
    namespace: string | undefined,
  ) =>
    failure(
      403,
      "Forbidden",
      `${type.group ? `${type.plural}.${type.group}` : type.plural} is forbidden: User "${user}" cannot ${verb} resource "${type.plural}" in API group "${type.group}"${
        namespace ? ` in the namespace "${namespace}"` : " at the cluster scope"
      }`,
      { ...(type.group ? { group: type.group } : {}), kind: type.plural },
    ),
  forbiddenNamespaceDeletion: (name: string) =>
    failure(403, "Forbidden", `namespaces "${name}" is forbidden: this namespace may not be deleted`, {
      name,
      kind: "namespaces",
    }),
  expired: (message: string) => failure(410, "Expired", message),
  methodNotAllowed: () =>
    failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"),
  unsupportedMediaType: (contentType: string) =>
    failure(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(contentType)})`,
    ),
  tooLargeResourceVersion: (asked: number, current: number) =>
    failure(504, "Timeout", `Too large resource version: ${asked}, current: ${current}`, {
      causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version", field: "" }],
    }),
};

export function successStatus(details: StatusDetails): KubeStatus {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details, code: 200 };
}

export function statusResponse(status: KubeStatus): Response {
  return Response.json(status, { status: status.code });
}

export function statusAsJson(status: KubeStatus): JsonObject {
  return JSON.parse(JSON.stringify(status)) as JsonObject;
}
