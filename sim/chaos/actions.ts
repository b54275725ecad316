/**
 * Carries out the chaos schedule against the running system, one disruption at a time in schedule order, and counts
 * what actually happened (a leader kill with no leader to kill is counted as skipped, not as a kill).
 */
import { awaitTakeover, type Killed } from "../demo/cluster.ts";
import type { Sandbox } from "../sandbox/index.ts";
import type { ChaosReplicas } from "./replicas.ts";
import type { ChaosEvent } from "./schedule.ts";

export interface ChaosCounts {
  leaderKills: number;
  killsSkipped: number;
  takeoverMs: number[];
  vaultOutageMs: number;
  watchCuts: number;
  forced410s: number;
  sigstops: number;
  sigstopMs: number;
}

const LEADER_WAIT_MS = 15_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function emptyCounts(): ChaosCounts {
  return {
    leaderKills: 0,
    killsSkipped: 0,
    takeoverMs: [],
    vaultOutageMs: 0,
    watchCuts: 0,
    forced410s: 0,
    sigstops: 0,
    sigstopMs: 0,
  };
}

export async function runSchedule(input: {
  events: ChaosEvent[];
  sandbox: Sandbox;
  replicas: ChaosReplicas;
  counts: ChaosCounts;
  /** Prints a line prefixed with the run's elapsed time. */
  note: (line: string) => void;
  /** False once the run is giving up or stopping: remaining events are dropped. */
  going: () => boolean;
}): Promise<void> {
  const { sandbox, replicas, counts, note } = input;
  const began = performance.now();
  for (const event of input.events) {
    const wait = began + event.at - performance.now();
    if (wait > 0) await pause(wait);
    if (!input.going()) return;
    switch (event.kind) {
      case "kill-leader": {
        const cluster = replicas.cluster;
        const end = performance.now() + LEADER_WAIT_MS;
        let leader = (await cluster.set.leaders())[0];
        while (!leader && performance.now() < end) {
          await pause(100);
          leader = (await cluster.set.leaders())[0];
        }
        if (!leader) {
          counts.killsSkipped++;
          note(`no leader to kill within ${LEADER_WAIT_MS} ms; kill skipped`);
          break;
        }
        const killed: Killed = { replica: leader, at: performance.now() };
        await replicas.kill(leader);
        counts.leaderKills++;
        const takeover = await awaitTakeover(cluster, killed);
        if (takeover.ms !== undefined) counts.takeoverMs.push(takeover.ms);
        note(
          `SIGKILLed leader ${leader.name}; ${takeover.newLeader ?? "nobody"} leads after ${takeover.ms ?? "-"} ms`,
        );
        replicas.restart(leader);
        // The next disruption waits for it: each one should meet a full cluster, not pile onto a replica starting up.
        const back = await replicas.serving(leader);
        note(
          `${leader.name} restarted on the same RAFT_DIR${back ? " and serving" : ", NOT serving within 30 s"}`,
        );
        break;
      }
      case "vault-outage": {
        await sandbox.vault.setOnline(false);
        note(`Vault stopped for ${event.ms / 1000} s`);
        await pause(event.ms);
        await sandbox.vault.setOnline(true);
        counts.vaultOutageMs += event.ms;
        note(`Vault back`);
        break;
      }
      case "cut-watches": {
        sandbox.kube.cutWatches();
        await sandbox.kube.compactAll();
        counts.watchCuts++;
        counts.forced410s++;
        note(`every API watch cut and history compacted (resuming watches get 410 Gone)`);
        break;
      }
      case "sigstop": {
        const live = replicas.records.filter((r) => r.replica.alive());
        const target = live[Math.floor(event.pick * live.length)];
        if (!target) break;
        const process = target.replica.process();
        process.signal("SIGSTOP");
        note(`SIGSTOPped ${target.replica.name} for ${event.ms / 1000} s`);
        await pause(event.ms);
        process.signal("SIGCONT");
        counts.sigstops++;
        counts.sigstopMs += event.ms;
        note(`SIGCONT ${target.replica.name}`);
        break;
      }
    }
  }
}
