/**
 * Which coordination a controller process uses: Raft when there is anyone to coordinate with (RAFT_PEERS, or a
 * PeerDirectory such as gossip's, naming another replica) or when RAFT_DIR already holds Raft state (a replica of an
 * existing cluster must rejoin it even if it discovers nobody yet: leading alone would make two leaders); a single
 * replica otherwise.
 */
import { readdir } from "node:fs/promises";
import type { CoordinationContext } from "./controller.ts";
import { type Coordination, singleReplicaCoordination } from "./coordination.ts";
import { createRaftCoordination } from "./raft-coordination.ts";
import { type PeerDirectory, staticPeerDirectory } from "./static-peers.ts";

/** FileStorage's files (lib/raft/storage/file.ts): any of them means this replica was part of a cluster. */
const RAFT_STATE_FILES = ["log", "hardstate", "snapshot"];

async function holdsRaftState(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((name) => RAFT_STATE_FILES.includes(name));
  } catch {
    return false;
  }
}

export async function defaultCoordination(
  context: CoordinationContext,
  directory?: PeerDirectory,
): Promise<Coordination> {
  const peers = directory ?? staticPeerDirectory(context.config);
  const alone = peers.members().length <= 1;
  if (alone && !(await holdsRaftState(context.config.raftDir))) return singleReplicaCoordination();
  if (alone)
    context.log.warn(
      "no other replica found, but RAFT_DIR holds Raft state: rejoining that cluster (empty RAFT_DIR to run alone for good)",
      {
        raftDir: context.config.raftDir,
      },
    );
  return createRaftCoordination({
    config: context.config,
    peers,
    log: context.log,
    metrics: context.metrics,
    ...(context.certificates ? { certificates: context.certificates } : {}),
  });
}
