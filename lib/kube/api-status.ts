/**
 * Reading the API server's answers: list envelopes and `Status` objects (https://kubernetes.io/docs/reference/
 * using-api/api-concepts/), validated with valibot, and KubeApiError carrying the status code and the server's text.
 */
import * as v from "valibot";

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Kubernetes API ${path} answered ${status}: ${reason}`);
    this.name = "KubeApiError";
  }
}

const StatusSchema = v.object({
  kind: v.literal("Status"),
  code: v.optional(v.number()),
  reason: v.optional(v.string()),
  message: v.optional(v.string()),
});

/** A Status object's code and message, or undefined when `body` is not a Status. */
export function readStatus(body: unknown): { code?: number; message: string } | undefined {
  const parsed = v.safeParse(StatusSchema, body);
  if (!parsed.success) return undefined;
  return { code: parsed.output.code, message: parsed.output.message ?? parsed.output.reason ?? "no message" };
}

export function apiError(status: number, path: string, body: unknown): KubeApiError {
  const reason =
    readStatus(body)?.message ?? (typeof body === "string" ? body.slice(0, 200) : "no Status in the answer");
  const hint =
    status === 401
      ? " (the service-account token was refused; check its mount)"
      : status === 403
        ? " (RBAC: give the controller's service account this permission)"
        : "";
  return new KubeApiError(status, path, reason + hint);
}

export const ListSchema = v.object({
  metadata: v.object({
    resourceVersion: v.pipe(v.string(), v.nonEmpty()),
    continue: v.optional(v.string()),
  }),
  items: v.array(v.unknown()),
});

export const WatchEventSchema = v.object({
  type: v.picklist(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: v.unknown(),
});

export const BookmarkSchema = v.object({
  metadata: v.object({ resourceVersion: v.pipe(v.string(), v.nonEmpty()) }),
});

export const HTTP_GONE = 410;
