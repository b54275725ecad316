/**
 * Pure pieces of the gossip peer directory (./peers.ts): EndpointSlice addresses to gossip seeds, a gossip member to a
 * PeerMember, the absence book behind failedSince, and binding the gossip socket with an operator-facing error.
 */
import { isIP } from "node:net";
import {
  type Address,
  addressKey,
  type MemberView,
  openUdpTransport,
  parseAddress,
  type Transport,
} from "../gossip/index.ts";
import type { EndpointAddress } from "../kube/index.ts";
import type { PeerMember } from "./static-peers.ts";

/** One seed per distinct IP address, on GOSSIP_PORT, without ourselves; anything that is not an IP is skipped. */
export function seedsFrom(
  addresses: readonly Pick<EndpointAddress, "ip">[],
  port: number,
  self: Address,
): Address[] {
  const seen = new Set<string>([addressKey(self)]);
  const seeds: Address[] = [];
  for (const { ip } of addresses) {
    if (isIP(ip) === 0) continue;
    const seed = { host: ip, port };
    const key = addressKey(seed);
    if (seen.has(key)) continue;
    seen.add(key);
    seeds.push(seed);
  }
  return seeds;
}

/** Gossip meta `member` value of a replica in a committed Raft configuration (see bootstrap-decision.ts). */
export const RAFT_MEMBER_FLAG = "1";

/** The member as a Raft peer, or undefined when its metadata has no usable `raft` address. */
export function peerOf(member: MemberView): PeerMember | undefined {
  const raft = member.meta.raft;
  if (raft === undefined) return undefined;
  try {
    return {
      name: member.name,
      raftAddress: addressKey(parseAddress(raft)),
      ...(member.meta.member === RAFT_MEMBER_FLAG ? { raftMember: true } : {}),
    };
  } catch {
    return undefined;
  }
}

/** When each name was last seen going away. */
export class AbsenceBook {
  private readonly goneAt = new Map<string, number>();

  constructor(private readonly startedAtMs: number) {}

  present(name: string): void {
    this.goneAt.delete(name);
  }

  gone(name: string, atMs: number): void {
    if (!this.goneAt.has(name)) this.goneAt.set(name, atMs);
  }

  /** Undefined while live; else when it went away, or the book's start for a name never seen. */
  since(name: string, live: boolean): number | undefined {
    return live ? undefined : (this.goneAt.get(name) ?? this.startedAtMs);
  }
}

export async function openGossipTransport(bind: Address): Promise<Transport> {
  try {
    return await openUdpTransport(bind);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `gossip could not listen on ${addressKey(bind)} (POD_IP, GOSSIP_PORT): ${reason}. Check that POD_IP is this pod's own address and that nothing else uses GOSSIP_PORT.`,
    );
  }
}
