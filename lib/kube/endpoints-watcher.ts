/**
 * watchEndpoints(): follows one Service's Endpoints object (the controller's own headless service) and reports its
 * addresses, for gossip seeds.
 *
 * Contract: `addresses()` is the latest known set (ready and not-yet-ready, since peers that are still starting
 * are exactly the ones that need seeds); `onChange` fires after every change, including the first list;
 * list+watch semantics (re-watch, 410 re-list, back-off) are runListWatch's.
 */
import * as v from "valibot";
import type { Logger } from "../log/index.ts";
import { runListWatch } from "./list-watch.ts";
import type { KubeTransport } from "./transport.ts";

export interface EndpointAddress {
  ip: string;
  /** The pod behind the address, when the endpoints controller recorded it. */
  podName?: string;
  ready: boolean;
}

export interface EndpointsWatcher {
  addresses(): EndpointAddress[];
  onChange(handler: (addresses: EndpointAddress[]) => void): () => void;
  hasSynced(): boolean;
  stop(): Promise<void>;
}

const AddressSchema = v.object({
  ip: v.string(),
  targetRef: v.optional(v.object({ name: v.optional(v.string()) })),
});
const EndpointsSchema = v.object({
  subsets: v.optional(
    v.array(
      v.object({
        addresses: v.optional(v.array(AddressSchema), []),
        notReadyAddresses: v.optional(v.array(AddressSchema), []),
      }),
    ),
    [],
  ),
});

function addressesOf(endpoints: unknown): EndpointAddress[] | undefined {
  const parsed = v.safeParse(EndpointsSchema, endpoints);
  if (!parsed.success) return undefined;
  const out: EndpointAddress[] = [];
  const add = (entry: v.InferOutput<typeof AddressSchema>, ready: boolean) =>
    out.push({ ip: entry.ip, ready, ...(entry.targetRef?.name ? { podName: entry.targetRef.name } : {}) });
  for (const subset of parsed.output.subsets) {
    for (const entry of subset.addresses) add(entry, true);
    for (const entry of subset.notReadyAddresses) add(entry, false);
  }
  return out;
}

export function watchEndpoints(options: {
  transport: KubeTransport;
  namespace: string;
  service: string;
  log?: Logger;
}): EndpointsWatcher {
  const abort = new AbortController();
  const handlers = new Set<(addresses: EndpointAddress[]) => void>();
  let current: EndpointAddress[] = [];
  let synced = false;
  const publish = (next: EndpointAddress[]) => {
    current = next;
    for (const handler of handlers) handler(current);
  };
  const loop = runListWatch({
    transport: options.transport,
    path: `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/endpoints`,
    fieldSelector: `metadata.name=${options.service}`,
    signal: abort.signal,
    onList(items) {
      publish(items.length === 0 ? [] : (addressesOf(items[0]) ?? []));
    },
    onEvent(change) {
      if (change.type === "DELETED") return publish([]);
      const next = addressesOf(change.object);
      if (next) publish(next);
      else
        options.log?.warn("ignoring an Endpoints object in an unexpected shape", {
          service: options.service,
        });
    },
    onSynced() {
      synced = true;
    },
    onError(error) {
      options.log?.warn("endpoints list/watch failed; retrying with back-off", {
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
