/**
 * gossip: failure detection time, from a member's silent stop (no leave message, like a SIGKILL) to a survivor
 * declaring it failed; one sample per survivor per round. Each round is a fresh 3-member cluster (the controller
 * replica count) of lib/gossip hosts with the product's default timing, over real UDP/TCP sockets on loopback with
 * the sealed envelope, all in this process. 20 rounds, 5 with --quick. Then issue 6's bandwidth figure: sealed bytes
 * sent per second per member in a converged 5-member cluster (bench/gossip-udp.ts), reported in the notes.
 */
import { createKeyring, type GossipNode, openUdpTransport, startGossipNode } from "../../lib/gossip/index.ts";
import { waitFor } from "../../tests/support/wait.ts";
import { GOSSIP_UDP_MEMBERS, measureGossipBandwidth } from "../gossip-udp.ts";
import { percentiles } from "../support/stats.ts";
import { type Section, sampleCount } from "./types.ts";

const MEMBERS = 3;
const KEY = "bench-gossip-cluster-key-0123456789abcdef";

async function detectOnce(round: number): Promise<number[]> {
  const keyring = await createKeyring([KEY]);
  const nodes: GossipNode[] = [];
  try {
    for (let i = 0; i < MEMBERS; i++) {
      const transport = await openUdpTransport({ host: `127.7.70.${i + 1}`, port: 0 });
      nodes.push(startGossipNode({ name: `bench-${round}-${i}`, transport, keyring }));
    }
    const [seed, ...others] = nodes;
    if (!seed) throw new Error("no gossip member started");
    for (const node of others) node.join([seed.address]);
    await waitFor("every member alive everywhere", () =>
      nodes.every((node) => node.members().filter((m) => m.status === "alive").length === MEMBERS),
    );
    const victim = nodes.pop();
    if (!victim) throw new Error("no victim");
    const detected = new Map<string, number>();
    for (const node of nodes)
      node.subscribe((event) => {
        if (event.type === "failed" && event.member.name === victim.name && !detected.has(node.name))
          detected.set(node.name, Date.now());
      });
    const stoppedAt = Date.now();
    await victim.stop();
    await waitFor(
      "every survivor to declare the stopped member failed",
      () => detected.size === nodes.length,
      60_000,
      5,
    );
    return [...detected.values()].map((at) => at - stoppedAt);
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

export const gossipSection: Section<"gossip"> = {
  key: "gossip",
  name: "gossip",
  goal: "— (reported; lib/gossip/defaults.ts aims at ≈ 2.4 s)",
  anchor: "memberlist LAN defaults (probe 1 s, suspicion ×4) ≈ 5 s",
  async run(context) {
    const rounds = sampleCount(context, 20, 5);
    context.progress(`gossip: ${rounds} silent stops in 3-member UDP clusters`);
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) samples.push(...(await detectOnce(round)));
    const { p50, p99 } = percentiles(samples);
    const seconds = sampleCount(context, 20, 5);
    context.progress(`gossip: ${GOSSIP_UDP_MEMBERS} converged members for ${seconds} s (bandwidth)`);
    const traffic = await measureGossipBandwidth(seconds);
    return {
      value: { detect_p50_ms: p50, detect_p99_ms: p99 },
      mode: "in-process UDP cluster",
      notes: [
        `${rounds} rounds × ${MEMBERS - 1} survivors = ${samples.length} samples`,
        `bandwidth at ${GOSSIP_UDP_MEMBERS} members over ${seconds} s: ${traffic.bytes_per_s_per_member} B/s and ${traffic.packets_per_s_per_member} packets/s sent per member (sealed, push-pull included)`,
      ],
    };
  },
};
