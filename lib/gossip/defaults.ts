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

/** The largest push-pull frame (sealed bytes, after the 4-byte length) we send or accept: 64 KiB. A push-pull
 * carries one record per known member (dead ones too, until reaped). A realistic record, an IPv6 pod with a
 * StatefulSet name and `{raft, member}` meta, seals to about 230 bytes; the worst the schemas allow (253-byte
 * name, MAX_META_BYTES of meta) is about 900. The cluster is 3-7 replicas, and a rollout under new names
 * doubles that for DEAD_REAP_TIMEOUT_MS: 14 members seal to 3.2 KB (measured in tests/gossip/bounds.test.ts,
 * with 64 members at 17 KB). 64 KiB holds about 280 realistic members or 70 worst-case ones, far past any
 * cluster we plan for, while each frame a stranger makes us buffer costs at most this. (It was 1 MiB, and 400
 * slow streams pinned 518-664 MB.) */
export const MAX_RELIABLE_FRAME_BYTES = 65_536;

/** Inbound push-pull streams served at once; one more is destroyed on accept and counted (streamLimit). A member
 * opens one stream per push-pull round (one peer every PUSH_PULL_INTERVAL_MS) and one per reply, so a 7-member
 * cluster has a few in flight and even a rollout's join storm (each new member to every seed) stays under
 * 2 × 7 = 14. 32 is twice that, and bounds what unauthenticated streams can make us buffer at
 * 32 × MAX_RELIABLE_FRAME_BYTES = 2 MiB. */
export const MAX_INBOUND_STREAMS = 32;

/** Inbound streams one source IP may hold at once (streamLimitHost beyond). A peer has at most its own push-pull
 * and its reply to ours in flight (2); 4 leaves room for a retry. TCP sources cannot be spoofed without the
 * handshake, so one attacking pod holds at most 4 of the MAX_INBOUND_STREAMS slots. */
export const MAX_INBOUND_STREAMS_PER_HOST = 4;

/** A push-pull stream, either way, must be done this long after it opened, however steadily bytes trickle in:
 * an absolute deadline, not an idle timeout that a byte every 3 s resets (issue 12). A 64 KiB frame takes
 * milliseconds on a LAN; 5 s covers a peer stalled by a GC pause or a busy 2-core node, and caps how long an
 * unauthenticated stream holds one of the MAX_INBOUND_STREAMS slots. Expiry is counted (frameDeadline). */
export const RELIABLE_DEADLINE_MS = 5_000;

/** Datagrams from strangers (any source that is not a live member's gossip address) awaiting their AES-GCM open;
 * more are dropped on arrival and counted (overloaded). WebCrypto's decrypt is asynchronous, so without a bound
 * every datagram read faster than it is opened queues its bytes, their copies, a crypto job and a chain of
 * promises: about 4.5 KB each (100,000 garbage datagrams delivered in one burst took a host from 37 to 478 MB),
 * which is how a flood grew the controller from 77 MB to 390-567 MB in 8 s. Strangers only ever send a joiner's
 * first packets (a few per second), so 64 is generous, and pins about 64 × 4.5 KB ≈ 300 KB. */
export const MAX_PENDING_STRANGER_OPENS = 64;

/** Datagrams from live members' gossip addresses awaiting their open, counted apart from strangers so a flood
 * cannot crowd out the probes and acks that keep us a member. A member sends about 20 packets/s (probes, acks,
 * gossip every GOSSIP_INTERVAL_MS), so after a 1 s event-loop stall a 7-member cluster's backlog, read at once,
 * is about 140; 256 covers that and pins about 1.2 MB. (Spoofing a member's address and port reaches this bound,
 * never past it.) */
export const MAX_PENDING_MEMBER_OPENS = 256;

/** Push-pull frames awaiting their open. A stream's slot (MAX_INBOUND_STREAMS) is freed once its frame is
 * delivered, so without this, complete garbage frames could queue opens as datagrams do; each may be
 * MAX_RELIABLE_FRAME_BYTES, so 8 pin about 8 × 3 copies × 64 KiB ≈ 1.5 MB. A cluster has a handful of
 * push-pulls in flight at most (see MAX_INBOUND_STREAMS). */
export const MAX_PENDING_FRAME_OPENS = 8;

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
