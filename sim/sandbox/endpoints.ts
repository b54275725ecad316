/**
 * The controller Service's EndpointSlices, kept by hand. In a real cluster the EndpointSlice controller fills them
 * from the Service's selector; the sandbox has no Services and no controller-manager (see sim/kube/README.md), so
 * whoever starts or stops controller replicas (tests, demo, benchmarks) publishes the replicas' addresses with this
 * helper, and the controllers' gossip discovery watches the slices exactly as it would in a cluster.
 *
 * Published the way the EndpointSlice controller (k8s.io/endpointslice, podToEndpoint and its reconciler) publishes
 * them for kustomize/base/service.yaml: one slice per address family with at most 100 endpoints each, labelled
 * `kubernetes.io/service-name`, `endpointslice.kubernetes.io/managed-by` and (headless) `service.kubernetes.io/headless`;
 * slices are updated in place, created with `generateName: <service>-` and deleted when no longer needed, and a
 * Service with no endpoints keeps one empty IPv4 placeholder. Conditions follow podToEndpoint: `serving` is the pod's
 * readiness, `terminating` its deletion, and `ready` is true for every endpoint because the Service sets
 * publishNotReadyAddresses. Not modelled: ownerReferences to the Service (the stand-in has no Services, so no uid),
 * nodeName/zone (pods are never bound), the last-change-trigger-time annotation.
 *
 * Callers await each publication before the next (it lists, then writes; two at once could conflict).
 */
import { isIPv6 } from "node:net";
import {
  ApiCaller,
  CONTROLLER_NAMESPACE,
  CONTROLLER_SERVICE,
  controllerSliceLabels,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
} from "./provision.ts";
import { CONTROLLER_PORTS } from "./workloads.ts";

export interface ControllerEndpoint {
  ip: string;
  /** The replica's POD_NAME, recorded as the endpoint's targetRef like the EndpointSlice controller does. */
  podName?: string;
  /** The pod's readiness (`serving`); not-yet-ready replicas are still listed and still discovered by gossip. */
  ready?: boolean;
  /** The pod is being deleted (`terminating`); it stays listed until it is gone. */
  terminating?: boolean;
}

export interface KubeApiAccess {
  server: string;
  caPem: string;
  token: string;
}

type Json = Record<string, unknown>;
type AddressType = "IPv4" | "IPv6";

/** kube-controller-manager's --max-endpoints-per-slice default. */
const MAX_ENDPOINTS_PER_SLICE = 100;
/** The Service's ports, as resolved into every slice (the pods name the same ports). */
const SERVICE_PORTS = [
  { name: "metrics", port: CONTROLLER_PORTS.metrics, protocol: "TCP" },
  { name: "raft", port: CONTROLLER_PORTS.raft, protocol: "TCP" },
  { name: "gossip", port: CONTROLLER_PORTS.gossip, protocol: "UDP" },
  { name: "gossip-tcp", port: CONTROLLER_PORTS.gossip, protocol: "TCP" },
];
const SLICES_PATH = (namespace: string) => `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;

function sliceEndpoint(endpoint: ControllerEndpoint): Json {
  return {
    addresses: [endpoint.ip],
    conditions: {
      ready: true,
      serving: endpoint.ready !== false,
      terminating: endpoint.terminating === true,
    },
    ...(endpoint.podName
      ? { targetRef: { kind: "Pod", namespace: CONTROLLER_NAMESPACE, name: endpoint.podName } }
      : {}),
  };
}

/** What the slices should hold: per family, chunks of at most MAX_ENDPOINTS_PER_SLICE, or the placeholder. */
function desiredSlices(
  endpoints: readonly ControllerEndpoint[],
): { addressType: AddressType; endpoints: Json[] }[] {
  const desired: { addressType: AddressType; endpoints: Json[] }[] = [];
  for (const addressType of ["IPv4", "IPv6"] as const) {
    const family = endpoints.filter((e) => (isIPv6(e.ip) ? "IPv6" : "IPv4") === addressType);
    for (let start = 0; start < family.length; start += MAX_ENDPOINTS_PER_SLICE)
      desired.push({
        addressType,
        endpoints: family.slice(start, start + MAX_ENDPOINTS_PER_SLICE).map(sliceEndpoint),
      });
  }
  return desired.length > 0 ? desired : [{ addressType: "IPv4", endpoints: [] }];
}

/** Replaces the controller Service's EndpointSlices with `endpoints` (an empty list leaves the placeholder). */
export async function publishControllerEndpoints(
  kubeApi: KubeApiAccess,
  endpoints: readonly ControllerEndpoint[],
): Promise<void> {
  const kube = new ApiCaller(kubeApi.server, kubeApi.caPem, { authorization: `Bearer ${kubeApi.token}` });
  const path = SLICES_PATH(CONTROLLER_NAMESPACE);
  const labels = controllerSliceLabels();
  // The controller's own slices of this Service, as the EndpointSlice controller selects them.
  const selector = [SERVICE_NAME_LABEL, MANAGED_BY_LABEL].map((key) => `${key}=${labels[key]}`).join(",");
  const listed = await kube.call("GET", `${path}?labelSelector=${encodeURIComponent(selector)}`);
  const existing = (Array.isArray(listed.items) ? (listed.items as Json[]) : []).map((slice) => ({
    name: String((slice.metadata as Json).name),
    resourceVersion: String((slice.metadata as Json).resourceVersion),
    addressType: String(slice.addressType),
  }));
  const unused = [...existing];
  for (const want of desiredSlices(endpoints)) {
    const body = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      addressType: want.addressType,
      endpoints: want.endpoints,
      ports: SERVICE_PORTS,
    };
    // addressType is immutable: a slice is reused only for its own family.
    const reuse = unused.findIndex((slice) => slice.addressType === want.addressType);
    const [slice] = reuse >= 0 ? unused.splice(reuse, 1) : [];
    if (slice)
      await kube.call("PUT", `${path}/${slice.name}`, {
        ...body,
        metadata: { name: slice.name, resourceVersion: slice.resourceVersion, labels },
      });
    else
      await kube.call("POST", path, {
        ...body,
        metadata: { generateName: `${CONTROLLER_SERVICE}-`, labels },
      });
  }
  for (const slice of unused) await kube.call("DELETE", `${path}/${slice.name}`);
}
