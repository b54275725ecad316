/**
 * Keeps the Raft configuration in line with the PeerDirectory, from the leader only, one server at a time (Raft
 * thesis §4.1): a new member joins as a learner and is promoted once it has caught up to the commit index; a member
 * gone from the directory for longer than `graceMs` is removed (a restarting pod keeps its vote meanwhile). The leader
 * never removes itself here. Followers do nothing: the configuration is replicated to them.
 *
 * The absence is the directory's (`absentForMs`, measured by every replica since it saw the member go) when it keeps
 * one, so a leader elected mid-grace does not start the minute over; otherwise since this leader first noticed.
 */
import type { Logger } from "../log/index.ts";
import type { RaftHost } from "../raft/host/index.ts";
import type { PeerDirectory } from "./static-peers.ts";

/** A pod being rescheduled is back within a minute; removing it sooner only costs two more changes. */
export const MEMBER_REMOVAL_GRACE_MS = 60_000;
const CHECK_INTERVAL_MS = 1_000;

export interface MembershipOptions {
  host: Pick<RaftHost<unknown>, "isActing" | "status" | "kick" | "id"> & {
    node: Pick<RaftHost<unknown>["node"], "proposeConfChange">;
  };
  peers: PeerDirectory;
  log: Logger;
  /** Monotonic milliseconds. */
  now(): number;
  graceMs?: number;
}

export function startMembershipReconciler(options: MembershipOptions): { stop(): void; check(): void } {
  const { host, peers, log } = options;
  const graceMs = options.graceMs ?? MEMBER_REMOVAL_GRACE_MS;
  const missingSince = new Map<string, number>();

  const check = (): void => {
    if (!host.isActing()) return;
    const status = host.status();
    const desired = new Set([host.id, ...peers.members().map((member) => member.name)]);
    const current = [...status.conf.voters, ...status.conf.learners];
    const change = (type: "addLearner" | "promote" | "remove", nodeId: string) => {
      const result = host.node.proposeConfChange({ type, nodeId });
      if (result.accepted) log.info("raft membership change proposed", { type, node: nodeId });
      else log.debug("raft membership change deferred", { type, node: nodeId, reason: result.reason });
      host.kick();
    };
    const absent = [...desired].find((name) => !current.includes(name));
    if (absent !== undefined) {
      change("addLearner", absent);
      return;
    }
    for (const learner of status.conf.learners) {
      const match = status.progress.get(learner)?.match ?? 0;
      if (desired.has(learner) && match >= status.commit) {
        change("promote", learner);
        return;
      }
    }
    const now = options.now();
    for (const name of current) {
      if (desired.has(name) || name === host.id) {
        missingSince.delete(name);
        continue;
      }
      const since = missingSince.get(name) ?? now;
      missingSince.set(name, since);
      const absentMs = peers.absentForMs?.(name) ?? now - since;
      if (absentMs >= graceMs) {
        change("remove", name);
        return;
      }
    }
  };

  const interval = setInterval(check, CHECK_INTERVAL_MS);
  const unsubscribe = peers.subscribe(check);
  return {
    check,
    stop() {
      clearInterval(interval);
      unsubscribe();
    },
  };
}
