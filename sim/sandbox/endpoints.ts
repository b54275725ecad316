/**
 * The controller Service's Endpoints, kept by hand. In a real cluster the endpoints controller fills them from the
 * Service's selector: every matching pod with an IP, under `addresses` once ready and `notReadyAddresses` before.
 * The sandbox has no Services and no endpoints controller (see sim/kube/README.md), so whoever starts or stops
 * controller replicas (tests, demo, benchmarks) publishes the replicas' addresses with this helper, in that same
 * shape, and the controllers' gossip discovery watches the object exactly as it would in a cluster.
 */
import { ApiCaller, CONTROLLER_NAMESPACE, CONTROLLER_SERVICE } from "./provision.ts";
import { CONTROLLER_PORTS } from "./workloads.ts";

export interface ControllerEndpoint {
  ip: string;
  /** The replica's POD_NAME, recorded as the address's targetRef like the endpoints controller does. */
  podName?: string;
  /** Not-yet-ready replicas are listed under notReadyAddresses (they are still discovered by gossip). */
  ready?: boolean;
}

export interface KubeApiAccess {
  server: string;
  caPem: string;
  token: string;
}

function endpointAddress(endpoint: ControllerEndpoint) {
  return {
    ip: endpoint.ip,
    ...(endpoint.podName
      ? { targetRef: { kind: "Pod", namespace: CONTROLLER_NAMESPACE, name: endpoint.podName } }
      : {}),
  };
}

/** Replaces the controller Service's Endpoints with `endpoints` (an empty list clears them). */
export async function publishControllerEndpoints(
  kubeApi: KubeApiAccess,
  endpoints: readonly ControllerEndpoint[],
): Promise<void> {
  const kube = new ApiCaller(kubeApi.server, kubeApi.caPem, { authorization: `Bearer ${kubeApi.token}` });
  const ready = endpoints.filter((endpoint) => endpoint.ready !== false).map(endpointAddress);
  const notReady = endpoints.filter((endpoint) => endpoint.ready === false).map(endpointAddress);
  const ports = [
    { name: "gossip", port: CONTROLLER_PORTS.gossip, protocol: "UDP" },
    { name: "gossip-tcp", port: CONTROLLER_PORTS.gossip, protocol: "TCP" },
    { name: "raft", port: CONTROLLER_PORTS.raft, protocol: "TCP" },
  ];
  // Like the endpoints controller: no subset at all when there is no address.
  const subsets =
    endpoints.length === 0
      ? []
      : [
          {
            ...(ready.length > 0 ? { addresses: ready } : {}),
            ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
            ports,
          },
        ];
  await kube.call(
    "PATCH",
    `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/endpoints/${CONTROLLER_SERVICE}`,
    { subsets },
    "application/merge-patch+json",
  );
}
