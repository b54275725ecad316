/**
 * Watch streams (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * newline-delimited JSON `{type, object}` events over a chunked HTTP 200 response.
 *
 * - No resourceVersion (or "0"): synthetic ADDED events for the current objects, then changes.
 * - resourceVersion N: every change after N, replayed from history; when N was compacted the stream carries a
 *   single ERROR event holding a 410 `Expired` Status and ends, exactly as the API server's watch does.
 * - Selectors apply to the before and after state of each change, so an object moving into the selection is an
 *   ADDED event and one leaving it a DELETED event (what the watch cache does).
 * - `allowWatchBookmarks`: BOOKMARK events carrying only `metadata.resourceVersion`, every `bookmarkIntervalMs`
 *   and once more just before a `timeoutSeconds` expiry; `sendInitialEvents=true` ends the synthetic ADDED events
 *   with a bookmark annotated `k8s.io/initial-events-end: "true"`.
 * - `cutAll()` ends every open stream (a dropped connection, for chaos tests); clients must re-watch.
 */
import type { Change, Cluster } from "./cluster.ts";
import type { JsonObject } from "./json.ts";
import { labelsOf } from "./reads.ts";
import { apiVersionOf, type ResourceType } from "./resources/index.ts";
import type { FieldPredicate, LabelPredicate } from "./selectors/index.ts";
import { ApiError, apiErrors, statusAsJson } from "./status.ts";

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  labels: LabelPredicate;
  fields: FieldPredicate;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutMs: number;
  /** How objects appear in ADDED/MODIFIED/DELETED events (a Table row for kubectl); as stored by default. */
  present?: (object: JsonObject) => JsonObject;
}

/** kube-apiserver's --min-request-timeout default; its watches end between 1x and 2x this. */
export const DEFAULT_WATCH_TIMEOUT_MS = 1800_000;
/** The watch cache sends bookmarks about once a minute. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export class WatchHub {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly cluster: Cluster,
    private readonly bookmarkIntervalMs = DEFAULT_BOOKMARK_INTERVAL_MS,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  /** Ends every open watch stream. */
  cutAll(): void {
    for (const close of [...this.open]) close();
  }

  /** Validates the start point first, so a malformed resourceVersion is a 400 rather than a stream. */
  start(request: WatchRequest): Response {
    if (request.resourceVersion && !/^\d+$/.test(request.resourceVersion))
      throw apiErrors.badRequest(
        `resourceVersion: Invalid value: "${request.resourceVersion}": must be a number`,
      );
    const encoder = new TextEncoder();
    let finish = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        const send = (type: WatchEventType, object: JsonObject) => {
          if (closed) return;
          const shown =
            request.present && type !== "BOOKMARK" && type !== "ERROR" ? request.present(object) : object;
          controller.enqueue(encoder.encode(`${JSON.stringify({ type, object: shown })}\n`));
        };
        const timers: ReturnType<typeof setTimeout>[] = [];
        let unsubscribe = () => {};
        finish = () => {
          if (closed) return;
          closed = true;
          unsubscribe();
          for (const timer of timers) clearTimeout(timer);
          this.open.delete(finish);
          controller.close();
        };
        this.open.add(finish);
        const matches = (object: JsonObject | undefined) =>
          object !== undefined &&
          (!request.namespace ||
            (object.metadata as JsonObject | undefined)?.namespace === request.namespace) &&
          request.labels(labelsOf(object)) &&
          request.fields(object);
        const from = request.resourceVersion;
        const startRevision = from && from !== "0" ? Number(from) : this.cluster.resourceVersion;
        const deliver = (change: Change) => {
          // A watch from a future resourceVersion waits for it: nothing at or before it is sent.
          if (change.revision <= startRevision) return;
          const now = matches(change.object);
          const before = change.type !== "ADDED" && matches(change.previous);
          if (change.type === "DELETED") {
            if (before || now) send("DELETED", change.object);
          } else if (now) send(before ? "MODIFIED" : "ADDED", change.object);
          else if (before) send("DELETED", change.object);
        };
        const bookmark = (annotations?: Record<string, string>) =>
          send("BOOKMARK", {
            kind: request.type.kind,
            apiVersion: apiVersionOf(request.type),
            metadata: {
              resourceVersion: String(this.cluster.resourceVersion),
              ...(annotations ? { annotations } : {}),
            },
          });
        try {
          if (!from || from === "0") {
            for (const object of this.cluster.listAt(
              request.type.plural,
              this.cluster.resourceVersion,
              request.namespace,
            ))
              if (matches(object)) send("ADDED", object);
            if (request.sendInitialEvents && request.allowBookmarks)
              bookmark({ "k8s.io/initial-events-end": "true" });
          } else
            for (const change of this.cluster.changesSince(request.type.plural, Number(from)))
              deliver(change);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          send("ERROR", statusAsJson(error.status));
          finish();
          return;
        }
        unsubscribe = this.cluster.subscribe(request.type.plural, deliver);
        if (request.allowBookmarks) {
          const every = () => {
            bookmark();
            timers[0] = setTimeout(every, this.bookmarkIntervalMs);
          };
          timers[0] = setTimeout(every, this.bookmarkIntervalMs);
        }
        timers[1] = setTimeout(() => {
          if (request.allowBookmarks) bookmark();
          finish();
        }, request.timeoutMs);
      },
      cancel: () => finish(),
    });
    return new Response(stream, { status: 200, headers: { "content-type": "application/json" } });
  }
}
