/**
 * Failover figure for the bench (issue 5, "Measure"): SIGKILL the leader of a replicated controller cluster while
 * pods keep arriving, and time (a) the kill -> another replica logging that it leads, and (b) the kill -> that new
 * leader's first confirmed push ("delivered" log line). The killed replica is restarted and the cluster settled
 * before the next kill. Pods come from the caller (`createPod`), e.g. fleet pods, at `podIntervalMs`.
 *
 * Times come from the controllers' JSON log lines and this process's clock (same machine).
 */
import { type ControllerCluster, deliveries } from "./controllers.ts";
import { percentile } from "./stats.ts";

export interface FailoverOptions {
  cluster: ControllerCluster;
  kills: number;
  createPod(name: string): Promise<void>;
  /** Pause between created pods while measuring, so a new leader always has a pod to push. */
  podIntervalMs?: number;
  /** Name prefix of the pods created (unique per call). */
  podPrefix?: string;
}

export interface FailoverSample {
  killedAt: number;
  killToLeadingMs: number;
  killToFirstPushMs: number;
}

export interface FailoverFigures {
  samples: FailoverSample[];
  leadingP50Ms: number;
  leadingP99Ms: number;
  firstPushP50Ms: number;
  firstPushP99Ms: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  deadlineMs: number,
) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`failover: timed out waiting for ${what}`);
    await pause(20);
  }
}

export async function measureFailover(options: FailoverOptions): Promise<FailoverFigures> {
  const { cluster } = options;
  const prefix = options.podPrefix ?? `failover-${Date.now()}`;
  const interval = options.podIntervalMs ?? 50;
  let created = 0;
  let traffic = true;
  const pods = (async () => {
    while (traffic) {
      await options.createPod(`${prefix}-${created++}`).catch(() => undefined);
      await pause(interval);
    }
  })();
  const samples: FailoverSample[] = [];
  try {
    for (let kill = 0; kill < options.kills; kill++) {
      const leader = await cluster.leader();
      const others = cluster.replicas.filter((replica) => replica !== leader);
      const killedAt = Date.now();
      await leader.kill();
      const leadingAt = await until(
        "a new leader",
        () => {
          const times = others.flatMap((r) =>
            r
              .lines()
              .filter(
                (line) => line.msg.startsWith("leading: this replica") && Date.parse(line.time) >= killedAt,
              )
              .map((line) => Date.parse(line.time)),
          );
          return times.length > 0 ? Math.min(...times) : undefined;
        },
        30_000,
      );
      const pushedAt = await until(
        "the new leader's first push",
        () => {
          const times = others.flatMap((r) =>
            deliveries(r)
              .map((line) => Date.parse(line.time))
              .filter((time) => time >= killedAt),
          );
          return times.length > 0 ? Math.min(...times) : undefined;
        },
        30_000,
      );
      samples.push({
        killedAt,
        killToLeadingMs: leadingAt - killedAt,
        killToFirstPushMs: pushedAt - killedAt,
      });
      await leader.start();
      await until(
        "the cluster to settle with the restarted replica following",
        async () => ((await cluster.leaders()).length === 1 && !(await leader.isLeader()) ? true : undefined),
        60_000,
      );
    }
  } finally {
    traffic = false;
    await pods;
  }
  const leading = samples.map((s) => s.killToLeadingMs);
  const pushes = samples.map((s) => s.killToFirstPushMs);
  return {
    samples,
    leadingP50Ms: percentile(leading, 50),
    leadingP99Ms: percentile(leading, 99),
    firstPushP50Ms: percentile(pushes, 50),
    firstPushP99Ms: percentile(pushes, 99),
  };
}
