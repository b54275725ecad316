/**
 * Shared helpers for the Raft tests: small deterministic clusters and readable assertions.
 */
import type { Message, NodeId } from "../../lib/raft/index.ts";
import { type ClusterOptions, SimCluster } from "./sim/index.ts";

export const ELECTION_TICKS = 10;

export function newCluster(
  ids: readonly NodeId[] = ["a", "b", "c"],
  options: Partial<Omit<ClusterOptions, "voters">> = {},
): SimCluster {
  return new SimCluster({
    voters: ids,
    seed: 7,
    electionTicks: ELECTION_TICKS,
    heartbeatTicks: 2,
    ...options,
  });
}

/**
 * Ticks past the boot guard (a fresh node refuses to vote for one election timeout) with every node
 * isolated, so no election happens, then heals. Afterwards tests decide who campaigns.
 */
export function warmUp(cluster: SimCluster): void {
  const ids = cluster.ids();
  cluster.network.split(ids.map((id) => [id]));
  cluster.ticks(ELECTION_TICKS);
  cluster.network.heal();
}

/** A cluster whose leader is `leader`, elected deliberately. */
export function clusterLedBy(
  leader: NodeId,
  ids?: readonly NodeId[],
  options?: Partial<ClusterOptions>,
): SimCluster {
  const cluster = newCluster(ids, options);
  warmUp(cluster);
  cluster.campaign(leader);
  if (cluster.leader() !== leader) throw new Error(`test setup: ${leader} failed to win the election`);
  return cluster;
}

/** Records every message that crosses the network (after the sender persisted its Ready). */
export function recordMessages(cluster: SimCluster): Message[] {
  const seen: Message[] = [];
  const previous = cluster.network.intercept;
  cluster.network.intercept = (message) => {
    seen.push(message);
    return previous === undefined ? true : previous(message);
  };
  return seen;
}

export const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
