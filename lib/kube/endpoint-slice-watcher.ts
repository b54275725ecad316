/**
 * watchEndpointSlices(): follows the discovery.k8s.io/v1 EndpointSlices of one Service (the controller's own headless
 * Service) and reports their merged addresses, for gossip seeds. v1 Endpoints are deprecated since Kubernetes 1.33
 * and answer with a warning; slices are what the control plane maintains first.
 *
 * Contract: `addresses()` is the latest known set, every slice joined (endpoint-slices.ts): ready and not-yet-ready
 * addresses, since peers that are still starting are exactly the ones that need seeds, and terminating ones too,
 * flagged, since a replica being replaced may still hold the Raft cluster that a new one must join (the consumer
 * decides what to wait for); `onChange` fires after every change, including each list; a slice in an unexpected
 * shape is logged, naming the field, and its last good state is kept; list+watch semantics (re-watch, 410 re-list,
 * bookmarks, back-off) are runListWatch's.
 */
import type { Logger } from "../log/index.ts";
import {
  type EndpointAddress,
  mergeSlices,
  type ParsedSlice,
  readEndpointSlice,
  SERVICE_NAME_LABEL,
  type SliceReading,
} from "./endpoint-slices.ts";
import { runListWatch } from "./list-watch.ts";
import type { KubeTransport } from "./transport.ts";

export interface EndpointSliceWatcher {
  addresses(): EndpointAddress[];
  onChange(handler: (addresses: EndpointAddress[]) => void): () => void;
  hasSynced(): boolean;
  stop(): Promise<void>;
}

export function watchEndpointSlices(options: {
  transport: KubeTransport;
  namespace: string;
  service: string;
  log?: Logger;
}): EndpointSliceWatcher {
  const abort = new AbortController();
  const handlers = new Set<(addresses: EndpointAddress[]) => void>();
  let slices = new Map<string, ParsedSlice>();
  let current: EndpointAddress[] = [];
  let synced = false;
  const publish = () => {
    current = mergeSlices(slices.values());
    for (const handler of handlers) handler(current);
  };
  const complain = (reading: Extract<SliceReading, { ok: false }>) =>
    options.log?.warn("ignoring an EndpointSlice in an unexpected shape (its last good state is kept)", {
      service: options.service,
      error: reading.error,
    });
  const loop = runListWatch<SliceReading>({
    transport: options.transport,
    path: `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/endpointslices`,
    labelSelector: `${SERVICE_NAME_LABEL}=${options.service}`,
    keep: readEndpointSlice,
    signal: abort.signal,
    onList(readings) {
      const next = new Map<string, ParsedSlice>();
      for (const reading of readings) {
        if (reading.ok) next.set(reading.slice.name, reading.slice);
        else {
          complain(reading);
          const previous = reading.name === undefined ? undefined : slices.get(reading.name);
          if (previous) next.set(previous.name, previous);
        }
      }
      slices = next;
      publish();
    },
    onEvent(change) {
      const reading = readEndpointSlice(change.object);
      // A deleted slice needs only its name; its contents no longer matter.
      const name = reading.ok ? reading.slice.name : reading.name;
      if (change.type === "DELETED" && name !== undefined) slices.delete(name);
      else if (reading.ok) slices.set(reading.slice.name, reading.slice);
      else return complain(reading);
      publish();
    },
    onSynced() {
      synced = true;
    },
    onError(error) {
      options.log?.warn("EndpointSlice list/watch failed; retrying with back-off", {
        service: options.service,
        error,
      });
    },
  });
  return {
    addresses: () => current,
    onChange(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    hasSynced: () => synced,
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
