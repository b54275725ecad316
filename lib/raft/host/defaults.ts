/**
 * Timing and snapshot defaults of the Raft host, each with its reason. The goal they serve: a leader SIGKILLed or
 * partitioned is replaced, and the new one pushes, within 1 s at p99 (issue 5).
 */
export interface RaftTiming {
  /**
   * One core tick. 30 ms puts the election window (below) at 300-600 ms, leaving ~400 ms of the 1 s failover budget
   * for the new leader's first push (3 ledger commits, a mint and the init's exchange with Vault). Measured with 40 ms:
   * kill -> leading 500-750 ms, kill -> first push 800-1200 ms.
   */
  readonly tickMs: number;
  /** A follower campaigns after [electionTicks, 2*electionTicks) ticks of silence: 300-600 ms. */
  readonly electionTicks: number;
  /**
   * Heartbeat every 3 ticks (90 ms): the lease (electionTicks - 2 ticks = 240 ms) is renewed at least twice before it
   * lapses, and an acknowledgement may take up to 150 ms. Every tick (the first choice) cost the leader a third of
   * its idle CPU, and on a starved 2-core machine that CPU was the very thing that delayed the acknowledgements.
   */
  readonly heartbeatTicks: number;
}

export const RAFT_TIMING: RaftTiming = { tickMs: 30, electionTicks: 10, heartbeatTicks: 3 };

/**
 * Applied entries, or commands (each command of a group-commit batch counts), between snapshots. A ledger command is
 * ~300 bytes, so the log stays under ~1 MB between compactions while a snapshot (the whole ledger) is written at
 * most every few hundred pod issuances. Counting entries alone would let a burst of batches grow the log ~100 times
 * longer between compactions.
 */
export const SNAPSHOT_EVERY_ENTRIES = 2_000;

/**
 * After a stall longer than this many ticks (a paused process), further missed ticks change nothing: the lease and
 * the boot guard have long expired. Bounds the lease clock's jump after SIGCONT.
 */
export const MAX_CATCH_UP_TICKS = 100;

/** How long a graceful shutdown waits for leadership to move before stopping anyway. */
export const TRANSFER_TIMEOUT_MS = 2_000;
