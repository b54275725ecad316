/**
 * "Run while leader": the only thing the reconcile loop knows about who is in charge.
 *
 * Contract:
 * - `isLeader()` answers now. `onLeadershipChange(listener)` reports every change (not the current value) and returns
 *   an unsubscribe function.
 * - `leadershipSignal()` belongs to the current term of leadership: it aborts the moment leadership is lost, so
 *   in-flight reconciles stop at their next step (a push already sent still runs to its answer: the token is out)
 *   before another replica can take over. When not leader it is already aborted.
 * - Implementations: `alwaysLeader()` for single-replica mode; Raft drives a `createLeadershipState()` with
 *   `setLeader()` from its own state changes.
 */
export interface LeaderGate {
  isLeader(): boolean;
  leadershipSignal(): AbortSignal;
  onLeadershipChange(listener: (isLeader: boolean) => void): () => void;
}

export interface LeadershipState extends LeaderGate {
  setLeader(isLeader: boolean, reason?: string): void;
}

export function createLeadershipState(initiallyLeader = false): LeadershipState {
  const listeners = new Set<(isLeader: boolean) => void>();
  let term = new AbortController();
  let leader = initiallyLeader;
  if (!leader) term.abort(new Error("not the leader"));
  return {
    isLeader: () => leader,
    leadershipSignal: () => term.signal,
    onLeadershipChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    setLeader(isLeader, reason) {
      if (isLeader === leader) return;
      leader = isLeader;
      if (isLeader) term = new AbortController();
      else term.abort(new Error(`leadership lost${reason ? `: ${reason}` : ""}`));
      for (const listener of [...listeners]) listener(isLeader);
    },
  };
}

/** Single-replica mode: leader from the start; `setLeader(false)` at shutdown aborts in-flight work. */
export function alwaysLeader(): LeadershipState {
  return createLeadershipState(true);
}
