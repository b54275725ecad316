/**
 * Which coordination a controller process uses: Raft when there is anyone to coordinate with (RAFT_PEERS, or a
 * PeerDirectory such as gossip's, naming another replica), a single replica otherwise.
 */
import type { CoordinationContext } from "./controller.ts";
import { type Coordination, singleReplicaCoordination } from "./coordination.ts";
import { createRaftCoordination } from "./raft-coordination.ts";
import { type PeerDirectory, staticPeerDirectory } from "./static-peers.ts";

export async function defaultCoordination(
  context: CoordinationContext,
  directory?: PeerDirectory,
): Promise<Coordination> {
  const peers = directory ?? staticPeerDirectory(context.config);
  if (peers.members().length <= 1) return singleReplicaCoordination();
  return createRaftCoordination({
    config: context.config,
    peers,
    log: context.log,
    metrics: context.metrics,
    ...(context.certificates ? { certificates: context.certificates } : {}),
  });
}
