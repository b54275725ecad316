/**
 * The text an init container leaves when no valid push arrived in time. The original's "timed out after 5m0s
 * before receiving the secret_id" was its most reported symptom (flaw 9) because it said nothing about why; this
 * says what was (or was not) received and where to look next.
 *
 * Contract: pure; the refusal texts it quotes are the ones already sent to callers, which never hold secrets.
 */
import { hostname as machineHostname } from "node:os";
import type { Logger } from "../log/index.ts";
import type { PushRejection } from "../push/index.ts";

/** Counts the pushes refused while waiting, for the timeout explanation. */
export interface RefusalTally {
  count: number;
  last: PushRejection | undefined;
}

export function refusalTally(): RefusalTally & { add(rejection: PushRejection): void } {
  const tally = {
    count: 0,
    last: undefined as PushRejection | undefined,
    add(rejection: PushRejection) {
      tally.count += 1;
      tally.last = rejection;
    },
  };
  return tally;
}

/** Logs the timeout and writes its explanation (the pod's termination text). */
export function reportTimeout(
  context: Omit<WaitSummary, "podName" | "refusedCount" | "lastRefusal"> & { refusals: RefusalTally },
  log: Logger,
  writeText: (text: string) => void,
): void {
  const { refusals, ...rest } = context;
  log.error("timed out waiting for the secret_id push", {
    refused: refusals.count,
    reason: refusals.last?.reason,
  });
  writeText(
    timeoutMessage({
      ...rest,
      podName: machineHostname(),
      refusedCount: refusals.count,
      lastRefusal: refusals.last,
    }),
  );
}

export interface WaitSummary {
  timeoutMs: number;
  listenUrl: string;
  podIp: string | undefined;
  podName: string;
  expectedRole: string | undefined;
  refusedCount: number;
  lastRefusal: PushRejection | undefined;
  pushAuthenticated: boolean;
}

/** Go's time.Duration spelling ("5m0s", "1h0m0s", "30s"), which is how users write TIMEOUT. */
export function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${(ms % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

function whatArrived(summary: WaitSummary): string {
  if (summary.refusedCount === 0)
    return "No push arrived at all: the controller never connected (or its TLS handshake was refused).";
  const last = summary.lastRefusal;
  const plural = summary.refusedCount === 1 ? "push was" : "pushes were";
  return `${summary.refusedCount} ${plural} refused; the last one because ${last?.error ?? "of an unknown reason"} (${last?.reason ?? "?"}).`;
}

export function timeoutMessage(summary: WaitSummary): string {
  const role = summary.expectedRole ?? "<the pod's pod.boostport.com/vault-approle>";
  const port = new URL(summary.listenUrl).port || "50000";
  return [
    `kubernetes-vault init: timed out after ${formatGoDuration(summary.timeoutMs)} without receiving a valid secret_id push.`,
    `It listened on ${summary.listenUrl}${summary.podIp ? ` (pod IP ${summary.podIp})` : ""}.`,
    whatArrived(summary),
    "What to check:",
    `  - kubectl describe pod ${summary.podName}: the controller records on the pod why it did not push (Events).`,
    "  - The kubernetes-vault controller is running and one replica is the leader (its logs, /readyz, the raft leader metric).",
    `  - The controller's allow-list (ALLOWED_ROLES) lets this pod's namespace and service account use AppRole "${role}".`,
    `  - A NetworkPolicy or firewall lets the controller reach this pod on TCP port ${port}.`,
    summary.pushAuthenticated
      ? "  - The controller's client certificate is issued by the CA in CONTROLLER_CA_CERT (otherwise its handshake is refused)."
      : "  - CONTROLLER_CA_CERT is not set (INSECURE_UNAUTHENTICATED_PUSH=true), so pushes were not authenticated; set it to the controller's CA.",
    "  - Vault is reachable from this pod and the wrapping TTL (WRAP_TTL) is long enough for the push to arrive.",
  ].join("\n");
}
