/**
 * How a discovered replica (gossip, no RAFT_PEERS) enters Raft. Pure: no clock, no I/O.
 *
 * Rule (`chooseBootstrap`), evaluated after the peer directory settled and again through a quiet window:
 *   - RAFT_DIR holds Raft state -> "restore": this replica belongs to a cluster already; its storage knows which.
 *   - a live member other than us advertises that it is in a committed Raft configuration -> "join": start with
 *     no voters and wait for that cluster's leader to add us (learner, then voter: membership.ts).
 *   - we are the lowest-named live member -> "bootstrap": a one-voter cluster of ourselves, then advertise it.
 *   - otherwise -> "join": the lowest-named member will bootstrap and its reconciler will add us.
 * Joining is always safe (at worst we wait); bootstrapping is the only step that can make a second cluster, so
 * the shell bootstraps only if the choice stays "bootstrap" through a whole quiet window: a replica that appears
 * meanwhile seeds its gossip from the same EndpointSlices, so one of the two sees the other before deciding.
 *
 * Escape (`mayBootstrapWhileWaiting`): a replica that joined and was never added keeps waiting, except when it is
 * the lowest-named live member and no live member has advertised a cluster for `escapeAfterMs`. Needed for
 * liveness: if the lowest-named replica dies before bootstrapping and comes back under a higher name (a Deployment
 * names pods at random), nobody else would ever bootstrap. Its risk: a whole existing cluster unreachable for that
 * long, then back with its state, would face our new one. The shell therefore takes an escapeAfterMs well above the
 * time a restarting member is away (MEMBER_REMOVAL_GRACE_MS) and only while our own Raft storage is untouched.
 */

export type BootstrapChoice = "restore" | "bootstrap" | "join";

export interface LiveMember {
  name: string;
  /** The member advertises (gossip meta) that a committed Raft configuration includes it. */
  raftMember: boolean;
}

export interface BootstrapInputs {
  /** RAFT_DIR holds Raft state (log, hard state or snapshot). */
  hasState: boolean;
  self: string;
  /** Live members as the directory sees them; ourselves may or may not be listed. */
  live: readonly LiveMember[];
}

const others = (inputs: Pick<BootstrapInputs, "self" | "live">) =>
  inputs.live.filter((member) => member.name !== inputs.self);

export function isLowestNamed(inputs: Pick<BootstrapInputs, "self" | "live">): boolean {
  return others(inputs).every((member) => inputs.self < member.name);
}

export function someoneAdvertisesCluster(inputs: Pick<BootstrapInputs, "self" | "live">): boolean {
  return others(inputs).some((member) => member.raftMember);
}

export function chooseBootstrap(inputs: BootstrapInputs): BootstrapChoice {
  if (inputs.hasState) return "restore";
  if (someoneAdvertisesCluster(inputs)) return "join";
  return isLowestNamed(inputs) ? "bootstrap" : "join";
}

export interface WaitingInputs {
  self: string;
  live: readonly LiveMember[];
  /** When the escape condition (lowest-named, nobody advertising) last became true; undefined while it is false. */
  quietSinceMs: number | undefined;
  nowMs: number;
  escapeAfterMs: number;
}

/** The escape condition right now (the caller tracks since when it holds). */
export function escapeConditionHolds(inputs: Pick<BootstrapInputs, "self" | "live">): boolean {
  return isLowestNamed(inputs) && !someoneAdvertisesCluster(inputs);
}

export function mayBootstrapWhileWaiting(inputs: WaitingInputs): boolean {
  if (inputs.quietSinceMs === undefined || !escapeConditionHolds(inputs)) return false;
  return inputs.nowMs - inputs.quietSinceMs >= inputs.escapeAfterMs;
}
