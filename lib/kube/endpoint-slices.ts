/**
 * discovery.k8s.io/v1 EndpointSlices of one Service, read and merged: the pure half of watchEndpointSlices().
 *
 * Field semantics, from the API reference (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/
 * endpoint-slice-v1/) and the concept page (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/):
 * - A Service may have several slices (one per address family, at most 100 endpoints each by default), found by the
 *   `kubernetes.io/service-name` label; they "must be joined to produce the full set of endpoints", and while the
 *   controller moves an endpoint between slices it may briefly appear in two.
 * - `conditions.ready` nil means ready; `serving` nil defers to `ready`; `terminating` nil means not terminating.
 * - `addressType` is IPv4, IPv6 or FQDN (and consumers must handle the types "in the context of their own
 *   capabilities"): gossip needs IP addresses, so FQDN slices, and any type added later, are skipped.
 */

import { isIP } from "node:net";
import * as v from "valibot";

/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface EndpointAddress {
  ip: string;
  /** The pod behind the address (the endpoint's targetRef), when the slice records one. */
  podName?: string;
  /** conditions.ready: always true behind a Service with publishNotReadyAddresses, as ours has. */
  ready: boolean;
  /** conditions.serving: the pod's own readiness, whatever its termination state or the Service's flag. */
  serving: boolean;
  /** conditions.terminating: the pod is being deleted (it may still hold the Raft cluster until it exits). */
  terminating: boolean;
}

export interface ParsedSlice {
  name: string;
  /** Empty for a slice whose addressType is not an IP family. */
  addresses: EndpointAddress[];
}

export type SliceReading = { ok: true; slice: ParsedSlice } | { ok: false; name?: string; error: string };

const Flag = v.optional(v.nullable(v.boolean()));

const EndpointSchema = v.object({
  addresses: v.pipe(v.array(v.string()), v.minLength(1, "must hold at least one address")),
  conditions: v.optional(v.nullable(v.object({ ready: Flag, serving: Flag, terminating: Flag }))),
  targetRef: v.optional(v.nullable(v.object({ kind: v.optional(v.string()), name: v.optional(v.string()) }))),
});

const NameSchema = v.object({ metadata: v.object({ name: v.pipe(v.string(), v.nonEmpty()) }) });

const EndpointSliceSchema = v.object({
  ...NameSchema.entries,
  addressType: v.string(),
  // `endpoints` has no omitempty: a slice with none (the controller's placeholder) says `null`.
  endpoints: v.nullish(v.array(EndpointSchema)),
});

/** `endpoints[1].conditions.ready` from valibot's path, so the message names the field as kubectl would. */
function fieldOf(issue: v.BaseIssue<unknown>): string {
  let path = "";
  for (const step of issue.path ?? []) {
    const key = step.key;
    path += typeof key === "number" ? `[${key}]` : `${path ? "." : ""}${String(key)}`;
  }
  return path || "(the whole object)";
}

function toAddress(endpoint: v.InferOutput<typeof EndpointSchema>): EndpointAddress {
  const conditions = endpoint.conditions ?? {};
  const ready = conditions.ready ?? true;
  const ref = endpoint.targetRef;
  const podName = ref?.name && (ref.kind ?? "Pod") === "Pod" ? ref.name : undefined;
  return {
    // The addresses of one endpoint "are all assumed to be fungible and clients may choose to only use the first".
    ip: endpoint.addresses[0] ?? "",
    ...(podName ? { podName } : {}),
    ready,
    serving: conditions.serving ?? ready,
    terminating: conditions.terminating ?? false,
  };
}

/** One slice, validated; a failure names the slice and the field, and says what to do. */
export function readEndpointSlice(object: unknown): SliceReading {
  const parsed = v.safeParse(EndpointSliceSchema, object);
  if (!parsed.success) {
    const named = v.safeParse(NameSchema, object);
    const name = named.success ? named.output.metadata.name : undefined;
    const issue = parsed.issues[0];
    return {
      ok: false,
      ...(name ? { name } : {}),
      error: `EndpointSlice ${name ? `"${name}"` : "(no metadata.name)"}: ${fieldOf(issue)}: ${issue.message}. It does not follow discovery.k8s.io/v1; fix whatever writes it (the EndpointSlice controller, or a controller named by its endpointslice.kubernetes.io/managed-by label).`,
    };
  }
  const { metadata, addressType, endpoints } = parsed.output;
  const addresses =
    addressType === "IPv4" || addressType === "IPv6"
      ? (endpoints ?? []).map(toAddress).filter((address) => isIP(address.ip) !== 0)
      : [];
  return { ok: true, slice: { name: metadata.name, addresses } };
}

/**
 * The Service's addresses: every slice joined, one entry per IP, in slice-name order. An IP listed twice (an
 * endpoint moving between slices) is ready or serving if either copy says so, and terminating only if both do: a
 * stale copy must not hide a live peer.
 */
export function mergeSlices(slices: Iterable<ParsedSlice>): EndpointAddress[] {
  const byIp = new Map<string, EndpointAddress>();
  const ordered = [...slices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const slice of ordered)
    for (const address of slice.addresses) {
      const seen = byIp.get(address.ip);
      if (!seen) {
        byIp.set(address.ip, { ...address });
        continue;
      }
      seen.ready ||= address.ready;
      seen.serving ||= address.serving;
      seen.terminating &&= address.terminating;
      if (!seen.podName && address.podName) seen.podName = address.podName;
    }
  return [...byIp.values()];
}
