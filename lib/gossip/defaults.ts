/**
 * Every tunable of lib/gossip with its default and the reason for it. memberlist's LAN defaults are the
 * reference (probe 1 s / 500 ms, 3 indirect checks, suspicion ×4 (max ×6), retransmit ×4, gossip every
 * 200 ms to 3 nodes, push-pull every 30 s); ours are scaled for a 3-7 member controller cluster on one
 * LAN where a dead leader should be declared failed in about 2-3 s.
 */

/** Start a probe every 400 ms (memberlist: 1 s). With suspicion ×4 this puts the minimum suspicion
 * timeout at 1.6 s, so probe (≤0.4 s) + round (0.4 s) + suspicion (1.6 s) ≈ 2.4 s to declare a failure. */
export const PROBE_INTERVAL_MS = 400;

/** Wait 200 ms for a direct ack before asking others (memberlist: 500 ms). Loopback and pod-to-pod RTTs
 * are well under 10 ms; 200 ms leaves room for a busy 2-core node's event loop, and a false suspicion is
 * refuted cheaply anyway. Must be shorter than the probe interval so indirect probes fit in the round. */
export const PROBE_TIMEOUT_MS = 200;

/** Ask 3 other members to probe for us (memberlist: 3): rules out our own link as the cause. */
export const INDIRECT_CHECKS = 3;

/** memberlist's value, kept: minimum suspicion = 4 × probe interval × max(1, log10(n)). */
export const SUSPICION_MULT = 4;

/** memberlist's value, kept: with no independent confirmations suspicion lasts 6 × the minimum. */
export const SUSPICION_MAX_TIMEOUT_MULT = 6;

/** memberlist's value, kept: each piece of news is sent 4 × ceil(log10(n+1)) times (4 for n ≤ 9). */
export const RETRANSMIT_MULT = 4;

/** memberlist's values, kept: news is pushed every 200 ms to 3 random members, so it reaches a small
 * cluster in one or two gossip rounds even without probes to carry it. */
export const GOSSIP_INTERVAL_MS = 200;
export const GOSSIP_NODES = 3;

/** Full-state exchange every 10 s (memberlist: 30 s). Our state is a few hundred bytes per member, so a
 * shorter period is nearly free and bounds how long a healed partition stays split. */
export const PUSH_PULL_INTERVAL_MS = 10_000;

/** While we know no live peer, retry the seeds every 2 s: a pod that started before its peers (or after a
 * partition) finds them within seconds of them appearing in the Endpoints. */
export const JOIN_RETRY_INTERVAL_MS = 2_000;

/** Forget a dead or departed member 30 s after its death (memberlist: GossipToTheDeadTime 30 s). Far longer
 * than news takes to spread (retransmit limit × gossip interval ≈ 1-2 s), so no peer resurrects it from stale
 * news, and short enough that rolled pods with fresh names don't pile up. */
export const DEAD_REAP_TIMEOUT_MS = 30_000;

/** IPv6's minimum MTU (1280) minus the IPv6 (40) and UDP (8) headers: a datagram this size is never
 * fragmented on any path, IPv4 or IPv6. */
export const MAX_PACKET_BYTES = 1_232;

/** What the security envelope adds to a message: version (1) + nonce (12) + timestamp (8) + GCM tag (16). */
export const SEAL_OVERHEAD_BYTES = 37;

/** Plaintext bytes the core may put in one datagram. */
export const MAX_PAYLOAD_BYTES = MAX_PACKET_BYTES - SEAL_OVERHEAD_BYTES;

/** Push-pull frames carry the full state; 1 MiB is thousands of members, and bounds what a peer can make
 * us buffer. */
export const MAX_RELIABLE_FRAME_BYTES = 1_048_576;

/** memberlist's MetaMaxSize: metadata is for small facts such as the Raft RPC address. */
export const MAX_META_BYTES = 512;

/** A packet older or newer than this (by the sender's clock) is refused as a replay. Kubernetes nodes run
 * NTP, so skew is milliseconds; 30 s tolerates a badly drifting node while keeping the nonce cache small. */
export const REPLAY_WINDOW_MS = 30_000;

/** Upper bound on remembered nonces (about 20 packets/s per peer × 30 s × dozens of peers fits). When full,
 * the oldest are forgotten and packets older than them are refused, so the bound never opens a replay gap. */
export const REPLAY_CACHE_MAX = 100_000;

/** How often the host ticks the core; timers in the core are accurate to this. */
export const HOST_TICK_MS = 20;

/** A push-pull frame to a live peer on a LAN completes in milliseconds; 5 s covers a stalled peer without
 * piling up sockets to a dead one. */
export const RELIABLE_TIMEOUT_MS = 5_000;
