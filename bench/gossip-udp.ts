/**
 * Gossip on real sockets at the controller's target size (issue 6 "Measure"): 5 lib/gossip members in this process,
 * each on its own loopback address (127.7.71.x) over UDP + TCP with the sealed envelope and the product's default
 * timing, seeded as the peer directory seeds them.
 *
 * - Failure detection: per round, a fresh 5-member cluster converges, one member stops without a word (as after
 *   SIGKILL), and each survivor's "failed" event time is a sample; p50/p99 over all samples. The same figures
 *   in virtual time come from bench/gossip.ts (the seeded simulator); this one includes real timers and sockets.
 * - Bandwidth: a converged 5-member cluster runs `bandwidthSeconds`; sealed bytes sent per second per member, from
 *   the hosts' own counters (datagrams and push-pull frames, envelopes included).
 *
 * Use: `measureGossipUdp({rounds, bandwidthSeconds})` from a bench section, or
 * `bun run bench/gossip-udp.ts [--rounds N] [--seconds S]` (prints one JSON object).
 */
import { parseArgs } from "node:util";
import { createKeyring, type GossipNode, openUdpTransport, startGossipNode } from "../lib/gossip/index.ts";
import { waitFor } from "../tests/support/wait.ts";
import { percentiles, round2 } from "./support/stats.ts";

export const GOSSIP_UDP_MEMBERS = 5;
const KEY = "bench-gossip-udp-cluster-key-0123456789abcdef";
const PORT_BASE = 47_110;

export interface GossipUdpFigures {
  members: number;
  rounds: number;
  detection: { samples: number; p50_ms: number; p99_ms: number };
  bandwidth: { seconds: number; bytes_per_s_per_member: number; packets_per_s_per_member: number };
}

async function cluster(round: number): Promise<GossipNode[]> {
  const keyring = await createKeyring([KEY]);
  const nodes: GossipNode[] = [];
  const port = PORT_BASE + (round % 50);
  for (let i = 0; i < GOSSIP_UDP_MEMBERS; i++) {
    const transport = await openUdpTransport({ host: `127.7.71.${i + 1}`, port });
    nodes.push(
      startGossipNode({ name: `member-${i}`, transport, keyring, meta: { raft: `127.7.71.${i + 1}:1` } }),
    );
  }
  // Every member is seeded with all the others, as from the controller Service's Endpoints.
  for (const node of nodes) node.join(nodes.filter((other) => other !== node).map((other) => other.address));
  await waitFor("every member alive everywhere", () =>
    nodes.every((node) => node.members().filter((m) => m.status === "alive").length === GOSSIP_UDP_MEMBERS),
  );
  return nodes;
}

async function detectOnce(round: number): Promise<number[]> {
  const nodes = await cluster(round);
  try {
    const victim = nodes[round % GOSSIP_UDP_MEMBERS];
    if (!victim) throw new Error("no victim");
    const survivors = nodes.filter((node) => node !== victim);
    const detected = new Map<string, number>();
    for (const node of survivors)
      node.subscribe((event) => {
        if (event.type === "failed" && event.member.name === victim.name && !detected.has(node.name))
          detected.set(node.name, performance.now());
      });
    // Let the round-robin probe order drift so the victim is not always probed at the same phase.
    await new Promise((resolve) => setTimeout(resolve, 100 + (round % 7) * 57));
    const stoppedAt = performance.now();
    await victim.stop();
    await waitFor(
      "every survivor to declare the victim failed",
      () => detected.size === survivors.length,
      60_000,
      5,
    );
    return [...detected.values()].map((at) => at - stoppedAt);
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

export async function measureGossipBandwidth(seconds: number): Promise<GossipUdpFigures["bandwidth"]> {
  const nodes = await cluster(999);
  try {
    // Past the join burst: steady-state probes, gossip and periodic push-pull only.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = nodes.map((node) => node.stats());
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const after = nodes.map((node) => node.stats());
    const sum = (pick: (s: (typeof after)[number]) => number) =>
      after.reduce((total, stats, i) => total + pick(stats) - pick(before[i] ?? stats), 0);
    const perMember = (total: number) => total / seconds / GOSSIP_UDP_MEMBERS;
    return {
      seconds,
      bytes_per_s_per_member: Math.round(perMember(sum((s) => s.bytesSent))),
      packets_per_s_per_member: round2(perMember(sum((s) => s.packetsSent))),
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

export async function measureGossipUdp(options: {
  rounds: number;
  bandwidthSeconds: number;
}): Promise<GossipUdpFigures> {
  const samples: number[] = [];
  for (let round = 0; round < options.rounds; round++) samples.push(...(await detectOnce(round)));
  const { p50, p99 } = percentiles(samples);
  return {
    members: GOSSIP_UDP_MEMBERS,
    rounds: options.rounds,
    detection: { samples: samples.length, p50_ms: p50, p99_ms: p99 },
    bandwidth: await measureGossipBandwidth(options.bandwidthSeconds),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { rounds: { type: "string", default: "20" }, seconds: { type: "string", default: "30" } },
  });
  const figures = await measureGossipUdp({
    rounds: Number(values.rounds),
    bandwidthSeconds: Number(values.seconds),
  });
  console.log(JSON.stringify(figures, null, 2));
}
