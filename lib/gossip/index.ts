/**
 * lib/gossip: SWIM membership for the controller replicas, in the spirit of hashicorp/memberlist.
 *
 * Layers: `core/` is the pure, deterministic SWIM member (tick/handle -> Output); `wire/` the message table
 * and codec; `security/` the CLUSTER_KEY keyring, AES-GCM envelope and replay window; `transport/` the
 * Transport interface with an in-memory twin and the UDP+TCP implementation; `host/` the shell that runs it.
 *
 * Typical use (controller):
 *   const transport = await openUdpTransport({ host: POD_IP, port: GOSSIP_PORT });
 *   const node = startGossipNode({ name: POD_NAME, transport, keyring: await createKeyring([CLUSTER_KEY]),
 *                                  meta: { raft: `${POD_IP}:${RAFT_PORT}` } });
 *   node.subscribe((event) => ...);          // joined / left / failed / reaped / updated
 *   endpointsWatch((addresses) => node.join(addresses));   // seeds from Kubernetes, re-joined on change
 */
export * from "./address.ts";
export * from "./core/index.ts";
export * as defaults from "./defaults.ts";
export * from "./host/index.ts";
export * from "./security/index.ts";
export * from "./transport/index.ts";
export * from "./wire/index.ts";
