/**
 * Timing and snapshot defaults of the Raft host, each with its reason. The goal they serve: a leader SIGKILLed or
 * partitioned is replaced, and the new one pushes, within 1 s at p99 (issue 5).
 */
export interface RaftTiming {
  /** One core tick. 40 ms keeps the election window (below) under a second on a busy 2-core machine. */
  readonly tickMs: number;
  /** A follower campaigns after [electionTicks, 2*electionTicks) ticks of silence: 400-800 ms. */
  readonly electionTicks: number;
  /** Heartbeat every tick: the lease (electionTicks - 2 ticks = 320 ms) is renewed ~8 times before it lapses. */
  readonly heartbeatTicks: number;
}

export const RAFT_TIMING: RaftTiming = { tickMs: 40, electionTicks: 10, heartbeatTicks: 1 };

/**
 * Applied entries between snapshots. A ledger command is ~300 bytes, so the log stays under ~1 MB between
 * compactions while a snapshot (the whole ledger) is written at most every few hundred pod issuances.
 */
export const SNAPSHOT_EVERY_ENTRIES = 2_000;

/**
 * After a stall longer than this many ticks (a paused process), further catch-up ticks change nothing: the lease and
 * the election timer have long expired. Bounds the work done at once after SIGCONT.
 */
export const MAX_CATCH_UP_TICKS = 100;

/** How long a graceful shutdown waits for leadership to move before stopping anyway. */
export const TRANSFER_TIMEOUT_MS = 2_000;
