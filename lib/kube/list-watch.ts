/**
 * runListWatch(): client-go's Reflector for one scope of one resource: list (paginated), then watch from the
 * list's resourceVersion, forever, until the signal aborts.
 *
 * Contract (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * - A watch that ends (server timeout, cut connection) is re-opened from the last resourceVersion seen, including
 *   bookmarks, so nothing is missed and nothing is replayed twice.
 * - 410 Gone (on the watch request or as an ERROR event) means that version was compacted: re-list.
 * - Any other failure is logged by the caller (`onError`) and retried after capped, jittered exponential back-off.
 * - Watches ask the server to end them after a jittered 5-10 minutes, so a silently dead connection cannot stall
 *   the informer for longer (the original's watch stalled until a 20 s re-list).
 * - `fieldSelector` and `labelSelector` go on both the list and the watch, so both see the same objects.
 * - `onList` receives the whole listed scope (for PodStore.replace), each item reduced by `keep` as its page
 *   arrives, so a 10,000-pod list never holds every full object at once (it did: ~50 MB of RSS that the allocator
 *   kept afterwards); `onEvent` each watch change; `onSynced` is called after every successful list.
 */
import * as v from "valibot";
import {
  apiError,
  BookmarkSchema,
  HTTP_GONE,
  KubeApiError,
  ListSchema,
  readStatus,
  WatchEventSchema,
} from "./api-status.ts";
import type { KubeTransport } from "./transport.ts";

export type WatchChange = { type: "ADDED" | "MODIFIED" | "DELETED"; object: unknown };

export interface ListWatchOptions<T = unknown> {
  transport: KubeTransport;
  /** e.g. /api/v1/pods or /api/v1/namespaces/ns/pods */
  path: string;
  /** e.g. `metadata.name=svc` to follow one object. */
  fieldSelector?: string;
  /** e.g. `kubernetes.io/service-name=svc` for one Service's EndpointSlices. */
  labelSelector?: string;
  /** Reduces each listed item as its page arrives; undefined drops it. Default: the item unchanged. */
  keep?: (item: unknown) => T | undefined;
  onList(items: T[]): void;
  onEvent(change: WatchChange): void;
  onSynced(): void;
  onError(error: unknown): void;
  signal: AbortSignal;
  random?: () => number;
  pageSize?: number;
}

export const LIST_PAGE_SIZE = 500;
const MIN_WATCH_TIMEOUT_S = 300;
const BACKOFF_INITIAL_MS = 200;
const BACKOFF_MAX_MS = 30_000;

const QUICK_WATCH_END_MS = 1_000;

class Gone extends Error {}

/** Capped exponential back-off with "equal jitter": half fixed, half random, so retries spread out. */
function backoffDelay(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (attempt - 1));
  return ceiling / 2 + (ceiling / 2) * random();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

async function listAll<T>(options: ListWatchOptions<T>): Promise<string> {
  // Without `keep`, T is the default `unknown`, so the item itself is a T.
  const keep = options.keep ?? ((item: unknown) => item as T);
  const items: T[] = [];
  let continueToken: string | undefined;
  for (;;) {
    const query = {
      limit: options.pageSize ?? LIST_PAGE_SIZE,
      continue: continueToken,
      fieldSelector: options.fieldSelector,
      labelSelector: options.labelSelector,
    };
    const answer = await options.transport.request(options.path, { query, signal: options.signal });
    // An expired continue token (the list outlived the server's history): start the list again.
    if (answer.status === HTTP_GONE && continueToken) throw new Gone();
    if (answer.status !== 200) throw apiError(answer.status, options.path, answer.body);
    const page = v.parse(ListSchema, answer.body);
    for (const item of page.items) {
      const kept = keep(item);
      if (kept !== undefined) items.push(kept);
    }
    continueToken = page.metadata.continue || undefined;
    if (!continueToken) {
      options.onList(items);
      return page.metadata.resourceVersion;
    }
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Watches from `resourceVersion` until the stream ends; returns the last version seen. Throws Gone on 410. */
async function watchFrom<T>(options: ListWatchOptions<T>, resourceVersion: string): Promise<string> {
  let latest = resourceVersion;
  let failure: Error | undefined;
  const random = options.random ?? Math.random;
  const query = {
    watch: true,
    resourceVersion,
    allowWatchBookmarks: true,
    fieldSelector: options.fieldSelector,
    labelSelector: options.labelSelector,
    timeoutSeconds: Math.floor(MIN_WATCH_TIMEOUT_S * (1 + random())),
  };
  const streamAbort = new AbortController();
  const stopStream = () => streamAbort.abort();
  options.signal.addEventListener("abort", stopStream, { once: true });
  const onLine = (line: string) => {
    if (failure) return;
    const parsed = v.safeParse(WatchEventSchema, parseLine(line));
    if (!parsed.success) return;
    const { type, object } = parsed.output;
    if (type === "ERROR") {
      const status = readStatus(object);
      failure = status?.code === HTTP_GONE ? new Gone() : apiError(status?.code ?? 500, options.path, object);
      streamAbort.abort();
      return;
    }
    const version = v.safeParse(BookmarkSchema, object);
    if (version.success) latest = version.output.metadata.resourceVersion;
    if (type !== "BOOKMARK") options.onEvent({ type, object });
  };
  try {
    const end = await options.transport.stream(options.path, query, onLine, streamAbort.signal);
    if (failure) throw failure;
    if (end.kind === "status") {
      if (end.status === HTTP_GONE || readStatus(end.body)?.code === HTTP_GONE) throw new Gone();
      throw apiError(end.status, options.path, end.body);
    }
    return latest;
  } finally {
    options.signal.removeEventListener("abort", stopStream);
  }
}

export async function runListWatch<T = unknown>(options: ListWatchOptions<T>): Promise<void> {
  const random = options.random ?? Math.random;
  let failures = 0;
  while (!options.signal.aborted) {
    try {
      let resourceVersion = await listAll(options);
      options.onSynced();
      failures = 0;
      let quickEnds = 0;
      for (;;) {
        if (options.signal.aborted) return;
        const openedAt = performance.now();
        const next = await watchFrom(options, resourceVersion);
        // A server that keeps closing watches at once, with nothing new, must not be hammered in a tight loop.
        quickEnds =
          next === resourceVersion && performance.now() - openedAt < QUICK_WATCH_END_MS ? quickEnds + 1 : 0;
        resourceVersion = next;
        failures = 0;
        if (quickEnds > 2) await sleep(backoffDelay(quickEnds - 2, random), options.signal);
      }
    } catch (error) {
      if (options.signal.aborted) return;
      if (error instanceof Gone) continue;
      options.onError(
        error instanceof KubeApiError || error instanceof Error ? error : new Error(String(error)),
      );
      failures++;
      await sleep(backoffDelay(failures, random), options.signal);
    }
  }
}
