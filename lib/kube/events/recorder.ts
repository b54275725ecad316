/**
 * createEventRecorder(): writes core/v1 Events about pods, so `kubectl describe pod` tells a user why their pod
 * waits. Fire-and-forget for callers: `record()` never throws and never blocks on the API server.
 *
 * Contract:
 * - Events go through EventCorrelator (repeat -> PATCH count/lastTimestamp; per-pod rate limit -> dropped).
 * - Writes happen one at a time in arrival order (so a repeat never races the create of its first copy), from a
 *   bounded backlog: when the API server is slow, the oldest unsent events are dropped rather than memory growing.
 * - Source component is `kubernetes-vault`; reportingController/reportingInstance name this controller.
 * - A PATCH answered 404 (the API server's event TTL removed it) creates a fresh Event instead.
 * - A write the API server could not take (no connection, 429, 5xx: an API-server restart) is retried with back-off
 *   for about a minute, as client-go's broadcaster retries (maxTriesPerEvent 12): a push delivered during a
 *   control-plane restart still gets its VaultTokenDelivered. A create retried after its answer was lost finds its
 *   own Event (409, same name) and counts as written.
 * - `flush()` resolves when the backlog is empty (for shutdown and tests).
 */
import type { Logger } from "../../log/index.ts";
import { apiError } from "../api-status.ts";
import type { KubeRequest, KubeResponse, KubeTransport } from "../transport.ts";
import { type Correlation, type CorrelatorOptions, EventCorrelator, type EventType } from "./correlator.ts";

export const EVENT_SOURCE_COMPONENT = "kubernetes-vault";
export const REPORTING_CONTROLLER = "boostport.com/kubernetes-vault";
/** Kubernetes truncates long event messages for display; 1 KiB is events.k8s.io's documented limit. */
export const MAX_EVENT_MESSAGE_CHARS = 1024;
const MAX_BACKLOG = 1000;
/**
 * 16 tries, 250 ms doubling to at most 5 s between them: about a minute in all, so an API-server restart on a loaded
 * machine (15 s and more) is outlasted; client-go's broadcaster keeps trying for about two.
 */
const WRITE_TRIES = 16;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

const retriable = (status: number) => status === 429 || status >= 500;

export interface InvolvedPod {
  uid: string;
  namespace: string;
  name: string;
}

export interface EventRecorderOptions {
  transport: KubeTransport;
  /** Who reports: the controller's pod name (reportingInstance, source.host). */
  instance: string;
  now?: () => number;
  correlator?: CorrelatorOptions;
  log?: Logger;
  /** Called for every event written (created or patched), for the events-by-reason metric. */
  onEmitted?(reason: string, type: EventType): void;
  /** Waits between retries; tests pass a fake. */
  sleep?: (ms: number) => Promise<void>;
}

export interface EventRecorder {
  record(pod: InvolvedPod, reason: string, message: string, type?: EventType): void;
  flush(): Promise<void>;
}

interface Pending {
  /** When the controller saw it happen, not when the backlog got to it. */
  atMs: number;
  pod: InvolvedPod;
  reason: string;
  message: string;
  type: EventType;
}

function truncate(message: string): string {
  return message.length <= MAX_EVENT_MESSAGE_CHARS
    ? message
    : `${message.slice(0, MAX_EVENT_MESSAGE_CHARS - 3)}...`;
}

/** RFC 3339 with second precision, as core/v1 Event timestamps are serialised. */
function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const now = options.now ?? (() => Date.now());
  const correlator = new EventCorrelator(options.correlator);
  const backlog: Pending[] = [];
  let sequence = 0;
  let draining: Promise<void> | undefined;

  const eventsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** One write, retried while the API server cannot take it; the last answer, or the last transport error. */
  const send = async (path: string, request: KubeRequest): Promise<KubeResponse> => {
    for (let attempt = 1; ; attempt++) {
      let answer: KubeResponse | undefined;
      try {
        answer = await options.transport.request(path, request);
        if (!retriable(answer.status)) return answer;
      } catch (error) {
        if (attempt >= WRITE_TRIES) throw error;
      }
      if (answer && attempt >= WRITE_TRIES) return answer;
      await sleep(Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS));
    }
  };

  const create = async (event: Pending, key: string) => {
    const at = event.atMs;
    const name = `${event.pod.name}.${(at * 1000 + (sequence++ % 1000)).toString(16)}`;
    const body = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: event.pod.namespace },
      involvedObject: { apiVersion: "v1", kind: "Pod", ...event.pod },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: EVENT_SOURCE_COMPONENT, host: options.instance },
      firstTimestamp: timestamp(at),
      lastTimestamp: timestamp(at),
      count: 1,
      reportingComponent: REPORTING_CONTROLLER,
      reportingInstance: options.instance,
    };
    const path = eventsPath(event.pod.namespace);
    const answer = await send(path, { method: "POST", body });
    // 409: a try whose answer was lost had created it (the name is this event's own).
    if (answer.status !== 201 && answer.status !== 200 && answer.status !== 409)
      throw apiError(answer.status, path, answer.body);
    correlator.created(key, name, at);
  };

  const patch = async (event: Pending, correlation: Extract<Correlation, { kind: "patch" }>) => {
    const path = `${eventsPath(event.pod.namespace)}/${encodeURIComponent(correlation.name)}`;
    const body = { count: correlation.count, lastTimestamp: timestamp(event.atMs) };
    const answer = await send(path, {
      method: "PATCH",
      body,
      contentType: "application/strategic-merge-patch+json",
    });
    if (answer.status === 404) {
      correlator.forget(correlation.key);
      return create(event, correlation.key);
    }
    if (answer.status !== 200) throw apiError(answer.status, path, answer.body);
  };

  const write = async (event: Pending) => {
    const correlation = correlator.correlate({ ...event, uid: event.pod.uid }, event.atMs);
    if (correlation.kind === "drop") {
      options.log?.debug("event rate limit reached for this pod; dropping", {
        pod: event.pod.name,
        reason: event.reason,
      });
      return;
    }
    try {
      if (correlation.kind === "create") await create(event, correlation.key);
      else await patch(event, correlation);
      options.onEmitted?.(event.reason, event.type);
    } catch (error) {
      if (correlation.kind === "create") correlator.forget(correlation.key);
      options.log?.warn("could not write a Kubernetes Event", {
        pod: event.pod.name,
        reason: event.reason,
        error,
      });
    }
  };

  const drain = async () => {
    for (let event = backlog.shift(); event; event = backlog.shift()) await write(event);
    draining = undefined;
  };

  return {
    record(pod, reason, message, type = "Normal") {
      if (backlog.length >= MAX_BACKLOG) backlog.shift();
      backlog.push({ atMs: now(), pod, reason, message: truncate(message), type });
      draining ??= drain();
    },
    async flush() {
      while (draining) await draining;
    },
  };
}

/** Adapts the recorder to a sink whose reasons each have one fixed type (lib/controller's EVENT_REASONS table). */
export function eventSinkFor<Reason extends string>(
  recorder: EventRecorder,
  typeOf: Readonly<Record<Reason, EventType>>,
): { record(pod: InvolvedPod, reason: Reason, message: string): void } {
  return { record: (pod, reason, message) => recorder.record(pod, reason, message, typeOf[reason]) };
}
