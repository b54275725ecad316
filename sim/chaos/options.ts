/**
 * The chaos run's command line: `bun run chaos [--pods N] [--replicas N] [--seed N] [--duration-limit S] ...`.
 * `parseChaosOptions` throws an Error naming the flag and the fix on a bad value.
 */
import { parseArgs } from "node:util";

export interface ChaosOptions {
  pods: number;
  replicas: number;
  /** Pods created per second while the chaos runs. */
  rate: number;
  seed: number;
  /** Wall-clock cap of the whole run, start-up to checks. */
  durationLimitS: number;
  leaderKills: number;
  killEveryS: number;
  vaultOutageS: number;
  watchCuts: number;
  sigstopS: number;
  /** Fail when a live replica's resident set exceeds this. */
  maxRssMb: number;
  stateDir: string | undefined;
  controllerPrefix: string | undefined;
  help: boolean;
}

export const CHAOS_USAGE = `usage: bun run chaos [options]
  --pods N             pods to create on the in-process fleet node (default 1000)
  --replicas N         controller replicas, coordinated by Raft (default 3)
  --rate N             pods created per second (default 50)
  --seed N             seed of the chaos schedule (default: random, printed)
  --duration-limit S   give up after S seconds in all (default 300)
  --leader-kills N     SIGKILL the leader N times, restarting it with the same RAFT_DIR (default 6)
  --kill-every-s S     seconds between leader kills, give or take a third (default 5)
  --vault-outage-s S   stop Vault once for S seconds (default 10; 0 skips it)
  --watch-cuts N       cut every API watch and force 410 Gone N times (default 3)
  --sigstop-s S        SIGSTOP one replica for S seconds, then SIGCONT (default 5; 0 skips it)
  --max-rss-mb N       fail when a replica's RSS exceeds N MB (default 400)
  --state-dir DIR      where logs and state go (default: a new temporary directory, removed after a pass)
  --controller-prefix A.B.C   controller addresses (default: the first free block from 127.0.180)`;

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Error(`--${flag} ${JSON.stringify(text)} must be a number from ${min} to ${max}`);
  return value;
}

const whole = (flag: string, text: string | undefined, fallback: number, min: number, max: number) => {
  const value = number(flag, text, fallback, min, max);
  if (!Number.isInteger(value)) throw new Error(`--${flag} ${JSON.stringify(text)} must be a whole number`);
  return value;
};

export function parseChaosOptions(argv: string[]): ChaosOptions {
  const flags = [
    "pods",
    "replicas",
    "rate",
    "seed",
    "duration-limit",
    "leader-kills",
    "kill-every-s",
    "vault-outage-s",
    "watch-cuts",
    "sigstop-s",
    "max-rss-mb",
    "state-dir",
    "controller-prefix",
  ] as const;
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(flags.map((flag) => [flag, { type: "string" as const }])),
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const text = (flag: (typeof flags)[number]) => {
    const value: unknown = (values as Record<string, unknown>)[flag];
    return typeof value === "string" ? value : undefined;
  };
  const controllerPrefix = text("controller-prefix");
  if (controllerPrefix !== undefined && !/^127\.\d{1,3}\.\d{1,3}$/.test(controllerPrefix))
    throw new Error(`--controller-prefix ${controllerPrefix} must be three loopback octets, e.g. 127.0.2`);
  return {
    pods: whole("pods", text("pods"), 1000, 1, 20_000),
    replicas: whole("replicas", text("replicas"), 3, 3, 7),
    rate: number("rate", text("rate"), 50, 0.1, 10_000),
    seed: whole("seed", text("seed"), Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31),
    durationLimitS: number("duration-limit", text("duration-limit"), 300, 10, 86_400),
    leaderKills: whole("leader-kills", text("leader-kills"), 6, 0, 1000),
    killEveryS: number("kill-every-s", text("kill-every-s"), 5, 1, 600),
    vaultOutageS: number("vault-outage-s", text("vault-outage-s"), 10, 0, 600),
    watchCuts: whole("watch-cuts", text("watch-cuts"), 3, 0, 1000),
    sigstopS: number("sigstop-s", text("sigstop-s"), 5, 0, 600),
    maxRssMb: number("max-rss-mb", text("max-rss-mb"), 400, 10, 100_000),
    stateDir: text("state-dir"),
    controllerPrefix,
    help: values.help === true,
  };
}
