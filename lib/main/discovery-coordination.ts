/**
 * Coordination of a replica that discovers its peers (gossip seeded from EndpointSlices, no RAFT_PEERS): always Raft,
 * entered safely per bootstrap-decision.ts (restore / bootstrap alone / join and wait to be added).
 *
 * Why always Raft: the number of replicas seen at start-up says nothing about the number that will run (a
 * Deployment starts its pods together; the first may find only itself). Leading alone without Raft and letting
 * later replicas form their own cluster made two leaders; a lone Raft voter costs next to nothing.
 *
 * Contract:
 * - Bootstraps only when `chooseBootstrap` says so continuously for `quietMs` after the directory settled.
 * - Advertises `member: "1"` in gossip exactly while the configuration in effect here includes this replica.
 * - A replica waiting to be added is not ready (readiness check "raft-membership"), says so every
 *   `waitingWarnEveryMs`, and bootstraps alone only under the escape rule, after `escapeAfterMs`.
 * - Discovery impossible (the EndpointSlices never list this replica's IP and nobody else is seen within `quietMs`, as
 *   outside Kubernetes or with a Service that does not select the pod): nobody can find us, so there is no cluster
 *   to join; the replica runs alone without Raft (no RAFT_DIR needed), with a warning, and advertises itself as a
 *   member so a replica that later finds it waits instead of bootstrapping a second leader.
 */
import type { ReadinessCheck } from "../server/index.ts";
import {
  type BootstrapChoice,
  chooseBootstrap,
  escapeConditionHolds,
  mayBootstrapWhileWaiting,
} from "./bootstrap-decision.ts";
import type { CoordinationContext } from "./controller.ts";
import { type Coordination, singleReplicaCoordination } from "./coordination.ts";
import { MEMBER_REMOVAL_GRACE_MS } from "./membership.ts";
import { createRaftCoordination, type RaftCoordinationOptions } from "./raft-coordination.ts";
import { holdsRaftState } from "./raft-state.ts";
import type { DiscoveringPeerDirectory } from "./static-peers.ts";

export interface DiscoveryBootstrapTiming {
  /** How long a "bootstrap" choice must hold: well above gossip's join and metadata propagation (sub-second). */
  quietMs: number;
  /** Escape rule: above a restarting member's absence (it keeps its vote that long), below init's 5 m TIMEOUT. */
  escapeAfterMs: number;
  waitingWarnEveryMs: number;
  pollMs: number;
}

export const DISCOVERY_BOOTSTRAP_TIMING: DiscoveryBootstrapTiming = {
  quietMs: 3_000,
  escapeAfterMs: 2 * MEMBER_REMOVAL_GRACE_MS,
  waitingWarnEveryMs: 30_000,
  pollMs: 100,
};

export interface DiscoveryCoordinationOptions {
  timing?: Partial<DiscoveryBootstrapTiming>;
  raft?: Pick<RaftCoordinationOptions, "timing" | "snapshotEvery">;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function discoveryCoordination(
  context: Pick<CoordinationContext, "config" | "log" | "metrics" | "certificates">,
  directory: DiscoveringPeerDirectory,
  options: DiscoveryCoordinationOptions = {},
): Promise<Coordination> {
  const timing = { ...DISCOVERY_BOOTSTRAP_TIMING, ...options.timing };
  const { config } = context;
  const log = context.log.child({ part: "bootstrap" });
  const self = config.podName;
  const hasState = await holdsRaftState(config.raftDir);
  const decide = (): BootstrapChoice =>
    chooseBootstrap({
      hasState,
      self,
      live: directory.members().map((m) => ({ name: m.name, raftMember: m.raftMember === true })),
    });
  const seesOthers = () => directory.members().some((member) => member.name !== self);

  let choice = decide();
  if (choice === "bootstrap") {
    // Held through the whole window, or we join: joining is always safe, a second bootstrap is not.
    const until = performance.now() + timing.quietMs;
    while (choice === "bootstrap" && performance.now() < until) {
      await sleep(timing.pollMs);
      choice = decide();
    }
    if (choice === "bootstrap" && !directory.listsSelf() && !seesOthers()) {
      log.warn(
        "the EndpointSlices of KUBERNETES_SERVICE do not list this replica's POD_IP and no other replica was found: nobody can discover this one, so it runs alone without Raft. Make the Service select the controller pods to replicate.",
        { service: config.kubernetes.service, podIp: config.podIp },
      );
      directory.advertiseRaftMember(true);
      return singleReplicaCoordination();
    }
  }
  log.info("joining Raft", {
    choice,
    live: directory.members().map((m) => (m.raftMember ? `${m.name}(member)` : m.name)),
  });

  let member = false;
  const raft = await createRaftCoordination({
    config,
    peers: directory,
    log: context.log,
    metrics: context.metrics,
    ...(context.certificates ? { certificates: context.certificates } : {}),
    ...options.raft,
    initialVoters: choice === "bootstrap" ? [self] : [],
    onConfiguration(voters, learners) {
      const now = voters.includes(self) || learners.includes(self);
      if (now !== member) log.info(now ? "in the Raft configuration" : "not in the Raft configuration");
      member = now;
      directory.advertiseRaftMember(now);
    },
  });

  let watchdog: ReturnType<typeof setInterval> | undefined;
  const startWaiting = () => {
    const startedAt = performance.now();
    let lastWarning = startedAt;
    let quietSince: number | undefined;
    let escaping = false;
    watchdog = setInterval(() => {
      if (member || escaping) return;
      const now = performance.now();
      const live = directory.members().map((m) => ({ name: m.name, raftMember: m.raftMember === true }));
      quietSince = escapeConditionHolds({ self, live }) ? (quietSince ?? now) : undefined;
      if (now - lastWarning >= timing.waitingWarnEveryMs) {
        lastWarning = now;
        log.warn("waiting to be added to the Raft cluster by its leader; not ready meanwhile", {
          waitingSeconds: Math.round((now - startedAt) / 1000),
          live: live.map((m) => (m.raftMember ? `${m.name}(member)` : m.name)),
        });
      }
      if (!mayBootstrapWhileWaiting({ self, live, quietSinceMs: quietSince, nowMs: now, ...timing })) return;
      escaping = true;
      raft
        .bootstrapAlone()
        .then((done) => {
          if (!done) log.warn("escape refused: Raft already touched this replica's storage; still waiting");
        })
        .catch((error: unknown) => log.error("bootstrapping alone failed", { error: String(error) }))
        .finally(() => {
          escaping = false;
          quietSince = undefined;
        });
    }, timing.pollMs);
    watchdog.unref?.();
  };

  const readiness: ReadinessCheck = {
    name: "raft-membership",
    check: () =>
      member ? { ok: true } : { ok: false, reason: "waiting to be added to the Raft cluster by its leader" },
  };
  return {
    leader: raft.leader,
    ledger: raft.ledger,
    readiness,
    ...(raft.peerRoutes ? { peerRoutes: raft.peerRoutes } : {}),
    async start() {
      await raft.start();
      startWaiting();
    },
    async stop() {
      clearInterval(watchdog);
      await raft.stop();
    },
  };
}
