/**
 * The chaos run's end-state checks: every pod served; per pod, Vault saw at least one and at most one successful
 * login per init run (restarts + 1); no controller process exited unless this run killed it; no replica's resident set
 * went past the limit; and every replica's RAFT_DIR opens with lib/raft's FileStorage (no CorruptFileError) once
 * they are all stopped. Each check prints its counts.
 */
import { join } from "node:path";
import { CorruptFileError, FileStorage } from "../../lib/raft/storage/index.ts";
import type { Check } from "../demo/summary.ts";
import type { LoginCounter } from "./logins.ts";
import type { ChaosPod } from "./pods.ts";
import type { ChaosReplicas } from "./replicas.ts";

export function podChecks(pods: ChaosPod[], expected: number, logins: LoginCounter): Check[] {
  const served = pods.filter((p) => p.served).length;
  let duplicates = 0;
  let withoutLogin = 0;
  for (const pod of pods) {
    const count = pod.podIP ? logins.loginsFrom(pod.podIP) : 0;
    if (count === 0) withoutLogin++;
    duplicates += Math.max(0, count - pod.initRuns);
  }
  const restarts = pods.reduce((sum, p) => sum + p.initRuns - 1, 0);
  return [
    { what: "pods created", result: `${pods.length}/${expected}`, ok: pods.length === expected },
    { what: "pods served (token file written)", result: `${served}/${expected}`, ok: served === expected },
    {
      what: "pods with no successful Vault login",
      result: `${withoutLogin}`,
      ok: withoutLogin === 0,
    },
    {
      what: "duplicate logins (beyond one per pod UID and init run)",
      result: `${duplicates} (${logins.total()} logins, ${restarts} init restarts)`,
      ok: duplicates === 0,
    },
  ];
}

export function replicaChecks(replicas: ChaosReplicas, maxRssMb: number): Check[] {
  const crashes = replicas.crashes();
  const rss = replicas.records.map(
    (r) =>
      `${r.replica.name} max ${r.maxRssMb.toFixed(0)} MB / final ${r.lastRssMb === undefined ? "-" : r.lastRssMb.toFixed(0)} MB`,
  );
  const over = replicas.records.filter((r) => r.maxRssMb > maxRssMb);
  return [
    {
      what: "controller crashes (exits not caused by the run)",
      result:
        crashes.length === 0
          ? "0"
          : `${crashes.length}: ${crashes.map((c) => `${c.name} pid ${c.pid} exit ${c.exitCode}: ${c.lastLine.slice(0, 300)} (log ${c.logPath})`).join("; ")}`,
      ok: crashes.length === 0,
    },
    ...rss.map((line, i) => ({
      what: `replica RSS (limit ${maxRssMb} MB)`,
      result: line,
      ok: !over.includes(replicas.records[i] as (typeof replicas.records)[number]),
    })),
  ];
}

/** Opens each replica's RAFT_DIR after the replicas are stopped. */
export async function raftChecks(replicas: ChaosReplicas, controllersDir: string): Promise<Check[]> {
  return Promise.all(
    replicas.records.map(async (record): Promise<Check> => {
      const dir = join(controllersDir, record.replica.name, "raft");
      try {
        const storage = await FileStorage.open({ dir });
        const result = `intact: entries ${storage.firstIndex()}..${storage.lastIndex()}, torn tail cut ${storage.recovery.truncatedTailBytes} bytes`;
        await storage.close();
        return { what: `Raft log of ${record.replica.name}`, result, ok: true };
      } catch (error) {
        const kind = error instanceof CorruptFileError ? "CORRUPT" : "unreadable";
        const message = error instanceof Error ? error.message : String(error);
        return { what: `Raft log of ${record.replica.name}`, result: `${kind}: ${message}`, ok: false };
      }
    }),
  );
}
