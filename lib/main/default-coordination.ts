/**
 * Which coordination a controller process uses:
 * - a discovering directory (gossip, no RAFT_PEERS): always Raft, entered safely (discovery-coordination.ts);
 * - RAFT_PEERS with RAFT_JOIN=true: Raft starting with no voters, added by the running cluster's leader once its
 *   own RAFT_PEERS names this replica;
 * - RAFT_PEERS naming others, or RAFT_DIR holding Raft state (a replica of an existing cluster must rejoin it even
 *   if it finds nobody yet: leading alone would make two leaders): Raft with the listed replicas as first voters;
 * - otherwise a single replica.
 */
import type { CoordinationContext } from "./controller.ts";
import { type Coordination, singleReplicaCoordination } from "./coordination.ts";
import { discoveryCoordination } from "./discovery-coordination.ts";
import { createRaftCoordination } from "./raft-coordination.ts";
import { holdsRaftState } from "./raft-state.ts";
import { isDiscovering, type PeerDirectory, staticPeerDirectory } from "./static-peers.ts";

export async function defaultCoordination(
  context: CoordinationContext,
  directory?: PeerDirectory,
): Promise<Coordination> {
  const { config } = context;
  if (directory && isDiscovering(directory) && config.raftPeers.length === 0)
    return discoveryCoordination(context, directory);
  const peers = directory ?? staticPeerDirectory(config);
  const raft = (initialVoters?: readonly string[]) =>
    createRaftCoordination({
      config,
      peers,
      log: context.log,
      metrics: context.metrics,
      ...(context.certificates ? { certificates: context.certificates } : {}),
      ...(initialVoters ? { initialVoters } : {}),
    });
  if (config.raftJoin) return raft([]);
  const alone = peers.members().length <= 1;
  if (alone && !(await holdsRaftState(config.raftDir))) return singleReplicaCoordination();
  if (alone)
    context.log.warn(
      "no other replica found, but RAFT_DIR holds Raft state: rejoining that cluster (empty RAFT_DIR to run alone for good)",
      { raftDir: config.raftDir },
    );
  return raft();
}
