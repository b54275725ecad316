/**
 * raft: commit latency (propose -> committed by a quorum and applied on the leader) p50/p99 and entries per second:
 * 3 lib/raft hosts with fsync'd FileStorage over the real HTTP transport with HMAC, on loopback, all in this process
 * (the Raft engineer's measureCommitLatency, tests/raft-e2e). 16 proposals outstanding, 300-byte entries (about a
 * ledger record). One event loop for three nodes makes the figure an upper bound for three processes.
 */
import { measureCommitLatency } from "../../tests/raft-e2e/commit-latency.ts";
import { round2 } from "../support/stats.ts";
import { type Section, sampleCount } from "./types.ts";

export const raftSection: Section<"raft"> = {
  key: "raft",
  name: "raft",
  goal: "— (reported; failover carries the goal)",
  anchor: "etcd commits in ~1-2 ms on a LAN with fsync on SSD",
  async run(context) {
    const entries = sampleCount(context, 2_000, 500);
    context.progress(`raft: ${entries} proposals to a 3-node loopback cluster`);
    const figures = await measureCommitLatency({
      entries,
      concurrency: 16,
      addressPrefix: "127.7.80",
      port: 45691,
    });
    return {
      value: {
        commit_p50_ms: round2(figures.p50Ms),
        commit_p99_ms: round2(figures.p99Ms),
        commits_per_s: round2(figures.entriesPerSecond),
      },
      mode: "in-process Raft cluster",
      notes: [
        `${figures.entries} entries, ${figures.concurrency} outstanding, fsync'd file storage, HMAC-authenticated HTTP`,
      ],
    };
  },
};
