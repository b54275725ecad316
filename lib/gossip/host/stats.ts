/**
 * Counters of what the host sent, received and dropped, exposed for metrics. Drops are by reason so an
 * operator can tell a rogue or misconfigured peer (unauthenticated) from a replay attempt or a bug (malformed), or
 * from a flood the bounds of issue 12 shed (overloaded, streamLimit, streamLimitHost, frameDeadline). The list
 * is append-only: each entry is a `reason` label of gossip_packets_dropped_total.
 */
export const DROP_REASONS = [
  "truncated",
  "unknownVersion",
  "unauthenticated",
  "stale",
  "replayed",
  "malformed",
  "oversized",
  "frameTooLarge",
  "truncatedFrame",
  "streamError",
  "socketError",
  /** A datagram or frame arrived while its lane of pending AES-GCM opens was full (./pending.ts). */
  "overloaded",
  /** An inbound stream past MAX_INBOUND_STREAMS, or past MAX_INBOUND_STREAMS_PER_HOST from one IP. */
  "streamLimit",
  "streamLimitHost",
  /** An inbound stream whose frame was not complete RELIABLE_DEADLINE_MS after the accept. */
  "frameDeadline",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface GossipStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  pushPullsSent: number;
  pushPullFailures: number;
  dropped: Record<DropReason, number>;
}

export function emptyStats(): GossipStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    pushPullsSent: 0,
    pushPullFailures: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>,
  };
}

export function countDrop(stats: GossipStats, reason: string): void {
  const known = (DROP_REASONS as readonly string[]).includes(reason) ? (reason as DropReason) : "malformed";
  stats.dropped[known]++;
}

export function totalDropped(stats: GossipStats): number {
  return Object.values(stats.dropped).reduce((sum, count) => sum + count, 0);
}
