/**
 * PeerDirectory: who the controller replicas are and where their Raft listeners are. Gossip discovery (lib/gossip,
 * lib/main/peers.ts) and the static RAFT_PEERS list both implement it, so the Raft coordination takes either.
 *
 * Contract: `self` is this replica (name = POD_NAME, the Raft node id); `members()` includes self; `subscribe`
 * reports changes (never the current value) and returns an unsubscribe function.
 */
import type { ControllerConfig } from "../config/index.ts";

export interface PeerMember {
  name: string;
  /** host:port of the member's Raft listener (IPv6 hosts in brackets). */
  raftAddress: string;
  /** Discovery only: the member advertises that a committed Raft configuration includes it. */
  raftMember?: boolean;
}

export interface PeerDirectory {
  self: PeerMember;
  members(): PeerMember[];
  subscribe(listener: () => void): () => void;
  /**
   * How long `name` has been gone from this directory, by this replica's own watch (undefined while a member). Lets
   * a newly elected leader honour a removal grace that started under the previous one.
   */
  absentForMs?(name: string): number | undefined;
}

/** A directory that finds replicas by itself (gossip), so a new cluster must be bootstrapped safely. */
export interface DiscoveringPeerDirectory extends PeerDirectory {
  /** Tell the others whether a committed Raft configuration includes us (gossip meta `member: "1"`). */
  advertiseRaftMember(member: boolean): void;
  /** Whether the discovery source (the EndpointSlices) lists this replica's own address. */
  listsSelf(): boolean;
}

export function isDiscovering(directory: PeerDirectory): directory is DiscoveringPeerDirectory {
  return "advertiseRaftMember" in directory && "listsSelf" in directory;
}

const hostPort = (host: string, port: number) =>
  host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;

/** RAFT_PEERS as a directory that never changes; this replica is added when the list does not name it. */
export function staticPeerDirectory(
  config: Pick<ControllerConfig, "raftPeers" | "podName" | "podIp" | "raftPort">,
): PeerDirectory {
  const listed = config.raftPeers.map((peer) => ({
    name: peer.name,
    raftAddress: hostPort(peer.host, peer.port),
  }));
  const self = listed.find((member) => member.name === config.podName) ?? {
    name: config.podName,
    raftAddress: hostPort(config.podIp, config.raftPort),
  };
  const members = [self, ...listed.filter((member) => member.name !== self.name)];
  return { self, members: () => [...members], subscribe: () => () => {} };
}
