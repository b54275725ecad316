/**
 * Commit latency figure for the bench: 3 RaftHosts (FileStorage with fsync, the real HTTP transport with HMAC) on
 * loopback in this process; `entries` proposals of `entryBytes` each, at most `concurrency` outstanding, timed from
 * propose() to its resolution (committed by a quorum AND applied on the leader). One process hosts all three nodes,
 * so they share one event loop: the figure is an upper bound for three separate processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInProcessCluster } from "./in-process-cluster.ts";
import { percentile } from "./stats.ts";

export interface CommitLatencyOptions {
  entries: number;
  concurrency?: number;
  entryBytes?: number;
  /** Loopback prefix of three free addresses (x.1 .. x.3). */
  addressPrefix?: string;
  port?: number;
}

export interface CommitLatencyFigures {
  p50Ms: number;
  p99Ms: number;
  entriesPerSecond: number;
  entries: number;
  concurrency: number;
}

export async function measureCommitLatency(options: CommitLatencyOptions): Promise<CommitLatencyFigures> {
  const concurrency = options.concurrency ?? 16;
  const dir = mkdtempSync(join(tmpdir(), "raft-commit-"));
  const cluster = await startInProcessCluster(dir, 3, {
    addressPrefix: options.addressPrefix ?? "127.0.9",
    port: options.port ?? 45691,
    clusterKey: "commit-latency-measurement-cluster-key-32b",
  });
  try {
    const end = Date.now() + 30_000;
    let leader = cluster.leader();
    while (leader === undefined && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      leader = cluster.leader();
    }
    if (leader === undefined) throw new Error("commit latency: no leader within 30 s");
    const payload = "x".repeat(options.entryBytes ?? 300);
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < options.entries) {
        const i = next++;
        const t = performance.now();
        await leader.host.propose(new TextEncoder().encode(`${i}:${payload}`));
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    return {
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      entriesPerSecond: options.entries / seconds,
      entries: options.entries,
      concurrency,
    };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
