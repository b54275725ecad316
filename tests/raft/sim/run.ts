/**
 * The seeded randomized simulation: one seed fixes the cluster size, fault rates and every event, so
 * a failing seed replays exactly. A run is a chaos phase (proposals, crashes with torn writes,
 * restarts, SIGSTOP-style pauses, partitions, membership changes, leadership transfers, compaction, lossy network) checked
 * after every step, then a heal phase that must elect a leader and commit a value within bounds.
 */
import type { NodeId } from "../../../lib/raft/index.ts";
import { SafetyChecker } from "./checker.ts";
import { SimCluster } from "./cluster.ts";

export interface SimulationOptions {
  readonly seed: number;
  readonly steps: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly committed: number;
  readonly leaders: number;
  /** Ticks from the heal to a leader (liveness), or -1 if none came. */
  readonly ticksToLeaderAfterHeal: number;
}

const ELECTION_TICKS = 10;
/** After healing: one election timeout for the lease guard, up to two for randomized timeouts, and
 * slack for split votes and delayed messages. */
const LIVENESS_BOUND_TICKS = 20 * ELECTION_TICKS;

export function runSimulation(options: SimulationOptions): SimulationResult {
  const { seed, steps } = options;
  const cluster = new SimCluster({
    voters: [],
    seed,
    electionTicks: ELECTION_TICKS,
    heartbeatTicks: 2,
  });
  const random = cluster.random;
  const initialVoters = random.next() < 0.7 ? 3 : 5;
  const voters = Array.from({ length: initialVoters }, (_, i) => `n${i + 1}`);
  const spares = [`n${initialVoters + 1}`, `n${initialVoters + 2}`];
  const checker = new SafetyChecker(cluster);
  for (const id of voters) cluster.addNode(id, voters);
  cluster.network.faults = {
    dropRate: random.next() * 0.1,
    duplicateRate: random.next() * 0.05,
    maxDelay: random.int(4),
  };
  // Half the seeds run clocks up to 10% fast or slow: the lease keeps a margin for that much drift.
  if (random.next() < 0.5) {
    for (const id of [...voters, ...spares]) cluster.clockRates.set(id, 0.9 + random.next() * 0.2);
  }
  Object.assign(cluster.options, { compactAfter: random.next() < 0.7 ? 3 + random.int(30) : 0 });
  // Some seeds propose rarely: idle logs let stale nodes win votes, which exercises the lease rules.
  const proposeRate = random.next() < 0.5 ? 0.02 : 0.3;
  let proposals = 0;
  const violations = (): readonly string[] => checker.violations;

  const everyone = (): NodeId[] => cluster.ids();
  const up = (): NodeId[] => everyone().filter((id) => cluster.get(id).up);
  const pick = <T>(items: readonly T[]): T | undefined => items[random.int(items.length)];

  const guarded = (action: () => void): void => {
    try {
      action();
    } catch (error) {
      checker.violations.push(
        `step ${checker.step}: threw ${error instanceof Error ? error.stack : String(error)}`,
      );
    }
  };

  for (let step = 0; step < steps && violations().length === 0; step++) {
    guarded(() => {
      const roll = random.next();
      const leader = cluster.leader();
      if (roll < 0.3) {
        if (leader !== undefined && roll < proposeRate)
          cluster.node(leader).propose(new TextEncoder().encode(`${seed}/${proposals++}`));
      } else if (roll < 0.31) {
        const victim = pick(up());
        if (victim !== undefined) cluster.crash(victim, random.next() < 0.5);
      } else if (roll < 0.35) {
        const revived = pick(everyone().filter((id) => !cluster.get(id).up));
        if (revived !== undefined) cluster.restart(revived);
      } else if (roll < 0.36) {
        changePartition();
      } else if (roll < 0.375) {
        if (leader !== undefined) changeMembership(leader);
      } else if (roll < 0.385) {
        const victim = pick(up());
        if (victim !== undefined) cluster.pause(victim);
      } else if (roll < 0.4) {
        const sleeper = pick([...cluster.paused.keys()]);
        if (sleeper !== undefined) cluster.resume(sleeper);
      } else if (roll < 0.405) {
        const target = leader === undefined ? undefined : pick(cluster.node(leader).status().conf.voters);
        if (leader !== undefined && target !== undefined) cluster.node(leader).transferLeadership(target);
      }
      cluster.tick();
    });
    checker.checkStep();
  }

  function changePartition(): void {
    const net = cluster.network;
    const shape = random.next();
    net.heal();
    if (shape < 0.3) return;
    if (shape < 0.5) {
      const lonely = pick(everyone());
      if (lonely !== undefined) net.isolate(lonely, everyone());
      return;
    }
    if (shape < 0.75) {
      // Partial partition: one link down, both ends still reach the others.
      const a = pick(everyone());
      const b = pick(everyone());
      if (a !== undefined && b !== undefined && a !== b) net.cut(a, b);
      return;
    }
    const groupA = everyone().filter(() => random.next() < 0.5);
    net.split([groupA, everyone().filter((id) => !groupA.includes(id))]);
  }

  function changeMembership(leader: NodeId): void {
    const node = cluster.node(leader);
    const conf = node.status().conf;
    const roll = random.next();
    const unused = spares.filter((id) => !cluster.nodes.has(id));
    if (roll < 0.35 && unused[0] !== undefined) {
      const result = node.proposeConfChange({ type: "addLearner", nodeId: unused[0] });
      if (result.accepted) cluster.addNode(unused[0]);
    } else if (roll < 0.7 && conf.learners.length > 0) {
      const learner = pick(conf.learners);
      if (learner !== undefined) node.proposeConfChange({ type: "promote", nodeId: learner });
    } else if (conf.voters.length > 3) {
      const victim = pick(conf.voters);
      if (victim !== undefined) node.proposeConfChange({ type: "remove", nodeId: victim });
    } else if (conf.learners.length > 0) {
      const victim = pick(conf.learners);
      if (victim !== undefined) node.proposeConfChange({ type: "remove", nodeId: victim });
    }
  }

  // Heal: whole network, no more loss, every node back up. A leader must follow within the bound.
  let ticksToLeader = -1;
  guarded(() => {
    if (violations().length > 0) return;
    cluster.network.heal();
    cluster.network.faults = { dropRate: 0, duplicateRate: 0, maxDelay: cluster.network.faults.maxDelay };
    for (const id of everyone()) cluster.resume(id);
    for (const id of everyone()) cluster.restart(id);
    for (let tick = 0; tick <= LIVENESS_BOUND_TICKS; tick++) {
      const leader = cluster.leader();
      if (leader !== undefined && cluster.node(leader).status().leaseValid) {
        ticksToLeader = tick;
        break;
      }
      cluster.tick();
      checker.checkStep();
    }
    if (ticksToLeader < 0) {
      checker.violations.push(`liveness: no leader within ${LIVENESS_BOUND_TICKS} ticks after healing`);
      return;
    }
    confirmCommit();
  });

  /** A value proposed after healing reaches every member's state machine in bounded time. A leader
   * change right after the heal may legitimately drop it; like a real client, we then propose again. */
  function confirmCommit(): void {
    let pending: { index: number; term: number } | undefined;
    for (let tick = 0; tick <= LIVENESS_BOUND_TICKS; tick++) {
      const leader = cluster.leader();
      if (leader !== undefined) {
        const node = cluster.node(leader);
        const lost = pending !== undefined && node.raft.log.term(pending.index) !== pending.term;
        if ((pending === undefined || lost) && node.status().leaseValid) {
          const result = node.propose(new TextEncoder().encode(`${seed}/final/${tick}`));
          if (result.accepted) pending = { index: result.index, term: result.term };
        }
        if (pending !== undefined) {
          const conf = node.status().conf;
          const index = pending.index;
          const members = [...conf.voters, ...conf.learners];
          if (members.every((id) => (cluster.nodes.get(id)?.machine.index ?? 0) >= index)) return;
        }
      }
      cluster.tick();
      checker.checkStep();
    }
    checker.violations.push(
      `liveness: no value proposed after healing reached every member in ${LIVENESS_BOUND_TICKS} ticks`,
    );
  }

  return {
    seed,
    violations: checker.violations,
    committed: checker.committedCount,
    leaders: checker.termsWithLeader,
    ticksToLeaderAfterHeal: ticksToLeader,
  };
}
