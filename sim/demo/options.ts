/**
 * The demo's command line: `bun run demo [--sidecar] [--pods N] [--replicas N] [--chaos] [--keep] [--state-dir DIR]`.
 * `parseDemoOptions` throws an Error naming the flag and the fix on a bad value.
 */
import { parseArgs } from "node:util";

export interface DemoOptions {
  pods: number;
  /** undefined: 3 when the controller coordinates replicas through Raft, else 1 (decided at run time). */
  replicas: number | undefined;
  chaos: boolean;
  keep: boolean;
  stateDir: string | undefined;
  /** Three octets: controller replica n listens on <prefix>.<n+1>. undefined: the first free block. */
  controllerPrefix: string | undefined;
  /** One or two octets under which the kubelet stand-in gives pods their addresses. undefined: the first free block. */
  podPrefix: string | undefined;
  /** Real etcd, kube-apiserver, kube-controller-manager and Vault instead of the stand-ins. */
  real: boolean;
  /** Native-sidecar pods on second-long TTLs: renewals and re-issues instead of the takeover run. */
  sidecar: boolean;
  help: boolean;
}

export const DEMO_USAGE = `usage: bun run demo [options]
  --real            run on real servers (etcd, kube-apiserver, kube-controller-manager, Vault) built from their
                    Go modules (needs Go >= 1.26 and the module proxy; minutes to build the first time)
  --sidecar         pods run the init as a native sidecar on tokens that live seconds: shows every token renewed
                    and re-issued, and fails if any token file ever held an expired token (default 6 pods)
  --pods N          sample pods to create (default 24; one of them, in team-c, asks for a role it is not allowed)
  --replicas N      controller replicas (default 3 when Raft coordinates them, else 1)
  --chaos           also cut API watches, force a 410 and stop Vault for a few seconds mid-run
  --keep            leave everything running at the end and print how to reach it; Ctrl-C stops it
  --state-dir DIR   where the sandbox, binaries' state and logs go (default: a new temporary directory)
  --controller-prefix A.B.C   controller addresses (default: 127.0.2 as in the sandbox's controllerEnv, or the
                    first free 127.0.x block when something else listens there)
  --pod-prefix A.B  pod addresses (default: 127.1, or the first free 127.x block)`;

/** Every sidecar stays up for the whole run, each a real init process renewing its token: fewer by default. */
const SIDECAR_DEFAULT_PODS = 6;

function count(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${flag} ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  return value;
}

export function parseDemoOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      pods: { type: "string" },
      replicas: { type: "string" },
      chaos: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      "state-dir": { type: "string" },
      "controller-prefix": { type: "string" },
      "pod-prefix": { type: "string" },
      real: { type: "boolean", default: false },
      sidecar: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const controllerPrefix = values["controller-prefix"];
  if (controllerPrefix !== undefined && !/^127\.\d{1,3}\.\d{1,3}$/.test(controllerPrefix))
    throw new Error(`--controller-prefix ${controllerPrefix} must be three loopback octets, e.g. 127.0.2`);
  return {
    // Two pods at least: one allowed, one refused.
    pods: count("pods", values.pods, 2, 500) ?? (values.sidecar ? SIDECAR_DEFAULT_PODS : 24),
    replicas: count("replicas", values.replicas, 1, 7),
    chaos: values.chaos,
    keep: values.keep,
    stateDir: values["state-dir"],
    controllerPrefix,
    podPrefix: values["pod-prefix"],
    real: values.real,
    sidecar: values.sidecar,
    help: values.help,
  };
}
