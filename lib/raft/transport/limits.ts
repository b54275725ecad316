/**
 * The Raft transport's size, concurrency and time limits, shared by the sending and the receiving side, each with
 * its reason. Together they bound what the Raft port can be made to hold in memory:
 * - without the cluster key: nothing, since every request is refused by its headers before a body byte is read;
 * - with it: RPC_IN_FLIGHT.batch × RPC_BODY_LIMITS.batch + RPC_IN_FLIGHT.bulk × RPC_BODY_LIMITS.bulk
 *   (32 × 256 KiB + 1 × 64 MiB = 72 MiB), each slot for at most RPC_BODY_DEADLINE_MS.
 */

/** How a POST declares (under the MAC) which limits apply to its body. */
export type RpcKind = "batch" | "bulk";
export const RPC_KINDS: readonly RpcKind[] = ["batch", "bulk"];
/** What a signed request may be: a POST of one of RPC_KINDS, or the opening of a message stream (stream.ts). */
export type SignedKind = RpcKind | "stream";
export const SIGNED_KINDS: readonly SignedKind[] = [...RPC_KINDS, "stream"];

/** Raft retries by itself; a POST that has not answered within a few election timeouts is useless. */
export const RPC_TIMEOUT_MS = 2_000;

/** POSTs outstanding per peer on the sending side: several heartbeat rounds plus appends in flight on loopback. */
export const DEFAULT_MAX_INFLIGHT = 8;

/**
 * Largest body per kind.
 * - batch: Raft's largest Append holds 64 entries (DEFAULT_MAX_ENTRIES_PER_APPEND); a ledger command is ~200 bytes
 *   and 606 with Kubernetes' longest names (253-character pod, 63-character namespace, 128-character role), 40 more
 *   on the wire, so the largest Append is ~41 KB. 256 KiB holds six of those or ~1,100 typical entries; the sender
 *   splits a larger batch (a lagging follower's catch-up) into several POSTs.
 * - bulk: one message too large for a batch on its own: an InstallSnapshot (the whole ledger, ~300 bytes per pod,
 *   so ~200k pods) or, exceptionally, an Append carrying an outsized entry (a long failure reason).
 */
export const RPC_BODY_LIMITS: Readonly<Record<RpcKind, number>> = {
  batch: 256 * 1024,
  bulk: 64 * 1024 * 1024,
};

/**
 * Requests per kind whose body a node reads at once; one more is answered 503 at once (Raft retransmits).
 * - batch: DEFAULT_MAX_INFLIGHT POSTs from each of 4 peers (5 replicas, the most the docs recommend).
 * - bulk: only the leader sends snapshots, one per follower at a time (Progress snapshot state); a second one at
 *   once means a leadership change mid-transfer, and the new leader retries after its probe back-off.
 */
export const RPC_IN_FLIGHT: Readonly<Record<RpcKind, number>> = {
  batch: 4 * DEFAULT_MAX_INFLIGHT,
  bulk: 1,
};

/**
 * A body must be received within this of its headers: the sender gives up after RPC_TIMEOUT_MS, so an upload still
 * trickling in after twice that (the margin is for a busy receiver) has no sender waiting for its answer.
 */
export const RPC_BODY_DEADLINE_MS = 2 * RPC_TIMEOUT_MS;

/** Node ids are pod names (at most 253 characters); longer from/to headers are refused unread. */
export const MAX_NODE_ID_LENGTH = 253;

/**
 * Message streams (stream.ts, dialer.ts): one long-lived GET per (peer -> this node) direction.
 * - ping: a stream with nothing to carry sends an empty frame this often, so the dialer can tell a quiet peer from
 *   a dead connection, and Bun.serve's idle timeout (10 s, reset by writes) never closes a quiet stream.
 * - idle: the dialer closes a stream that delivered no byte for this long (the first frame included), which also
 *   bounds a frame stalled mid-way; several pings must be lost in a row.
 * - back-off: a dialer that fails retries after min .. max ms, doubling; max stays well under an election timeout
 *   times a few, so a restarted peer's streams are back long before anyone would notice (the POST path carries
 *   messages meanwhile).
 * - streams: streams this node serves at once, whoever dials: one per peer is the most a healthy cluster uses (4
 *   with 5 replicas); the rest covers replacements still closing. Beyond it, 503.
 * - queued bytes: frames a stream holds that its reader has not taken; beyond it the sender keeps messages in its
 *   bounded queue, and a reader that takes nothing for STREAM_IDLE_MS is cut.
 */
export const STREAM_PING_MS = 1_000;
export const STREAM_IDLE_MS = 5 * STREAM_PING_MS;
export const STREAM_BACKOFF_MS = { min: 50, max: 1_000 } as const;
export const MAX_STREAMS = 16;
export const STREAM_QUEUED_BYTES = 1024 * 1024;
