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

/**
 * What a successful DELETE of a type that does not return the object answers: kube-apiserver's finalizeDelete
 * builds it without a `code` (the HTTP status is 200 all the same).
 */
export type SuccessStatus = Omit<KubeStatus, "code"> & { code?: number };

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
    ...(reason ? { reason } : {}),
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
  /** `beingDeleted`: the name is held by an object still being deleted (a terminating pod), as the message says. */
  alreadyExists: (resource: ResourceRef, name: string, beingDeleted = false) =>
    aboutObject(
      409,
      "AlreadyExists",
      resource,
      name,
      `${beingDeleted ? "object is being deleted: " : ""}$resource "${name}" already exists`,
    ),
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
  /**
   * A plain Go error the handler did not wrap (field.ErrorList.ToAggregate() from a subresource's own validation,
   * such as pods/binding's): kube-apiserver answers 500 with the error text and no reason.
   */
  unwrapped: (messages: string[]) =>
    failure(500, "", messages.length === 1 ? (messages[0] ?? "") : `[${messages.join(", ")}]`),
  /** The ServiceAccount admission plugin's refusal (admission.NewForbidden wrapping the lookup error). */
  admissionForbidden: (plural: string, name: string, why: string) =>
    failure(403, "Forbidden", `${plural} "${name}" is forbidden: ${why}`, { name, kind: plural }),
  /** What NewGenericServerResponse(422) says when a JSON patch cannot be applied. */
  rejectedPatch: (why: string) =>
    failure(422, "Invalid", `the server rejected our request due to an error in our request: ${why}`),
  unauthorized: () => failure(401, "Unauthorized", "Unauthorized"),
  forbidden: (
    user: string,
    verb: string,
    type: { plural: string; group: string },
    namespace: string | undefined,
    subresource?: string,
  ) =>
    failure(
      403,
      "Forbidden",
      `${type.group ? `${type.plural}.${type.group}` : type.plural} is forbidden: User "${user}" cannot ${verb} resource "${subresource ? `${type.plural}/${subresource}` : type.plural}" in API group "${type.group}"${
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

export function successStatus(details?: StatusDetails, code?: number): SuccessStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    ...(details ? { details } : {}),
    ...(code ? { code } : {}),
  };
}

export function statusResponse(status: KubeStatus): Response {
  return Response.json(status, { status: status.code });
}

export function statusAsJson(status: KubeStatus): JsonObject {
  return JSON.parse(JSON.stringify(status)) as JsonObject;
}
