/**
 * Gossip figures (issue 6 "Measure"), from the seeded simulator of tests/gossip (virtual time, the real core
 * and codec, so it runs in seconds and replays exactly): failure-detection time p50/p99 at 5 members (first
 * member to declare the failure, and the last), with and without datagram loss, and gossip bytes per second
 * per member at 5 members in steady state, counted as sealed on the wire (message + 37-byte envelope, plus
 * push-pull frames). Run: `bun run bench/gossip.ts [--runs N]`. Prints one JSON object.
 */
import { parseArgs } from "node:util";
import { SEAL_OVERHEAD_BYTES } from "../lib/gossip/defaults.ts";
import { GossipSim } from "../tests/gossip/sim.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "200" } } });
const runs = Number(values.runs);
const MEMBERS = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function detection(lossRate: number) {
  const first: number[] = [];
  const last: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const sim = new GossipSim(seed);
    sim.lossRate = lossRate;
    const names = sim.cluster(MEMBERS);
    sim.runUntil("formation", () => sim.converged(names), 60_000);
    sim.run(1_000 + (seed % 7) * 57);
    const victim = names[seed % MEMBERS] ?? "n0";
    const others = names.filter((n) => n !== victim);
    sim.crash(victim);
    const firstMs = sim.runUntil("first", () => others.some((o) => sim.status(o, victim) === "dead"), 60_000);
    const restMs = sim.runUntil("all", () => others.every((o) => sim.status(o, victim) === "dead"), 60_000);
    first.push(firstMs);
    last.push(firstMs + restMs);
  }
  const sortedFirst = first.sort((a, b) => a - b);
  const sortedLast = last.sort((a, b) => a - b);
  return {
    lossRate,
    firstDeclaresMs: { p50: percentile(sortedFirst, 50), p99: percentile(sortedFirst, 99) },
    allDeclareMs: { p50: percentile(sortedLast, 50), p99: percentile(sortedLast, 99) },
  };
}

function bandwidth() {
  const sim = new GossipSim(7);
  const names = sim.cluster(MEMBERS);
  sim.runUntil("formation", () => sim.converged(names), 60_000);
  sim.run(30_000);
  const [packets, bytes, reliable] = [sim.packetsSent, sim.bytesSent, sim.reliableBytesSent];
  const seconds = 120;
  sim.run(seconds * 1_000);
  const sealed =
    sim.bytesSent -
    bytes +
    (sim.packetsSent - packets) * SEAL_OVERHEAD_BYTES +
    (sim.reliableBytesSent - reliable);
  return {
    members: MEMBERS,
    bytesPerSecondPerMember: Math.round(sealed / seconds / MEMBERS),
    packetsPerSecondPerMember: Math.round(((sim.packetsSent - packets) / seconds / MEMBERS) * 10) / 10,
  };
}

console.log(
  JSON.stringify(
    { runs, members: MEMBERS, detection: [detection(0), detection(0.1)], bandwidth: bandwidth() },
    null,
    2,
  ),
);
