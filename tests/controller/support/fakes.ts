// Fakes for reconcile's collaborators: each records what it was asked, and can be told how to answer.

import { parseAllowList } from "../../../lib/config/index.ts";
import { policyFrom } from "../../../lib/controller/adapters/index.ts";
import { alwaysLeader } from "../../../lib/controller/leader/index.ts";
import {
  createLedgerStateMachine,
  createProposingLedger,
  type LedgerCommand,
} from "../../../lib/controller/ledger/index.ts";
import type {
  EventReason,
  PodRef,
  PodView,
  PushOutcome,
  ReconcileDeps,
  SecretIdRequest,
  StatusAnswer,
  VaultRefusal,
} from "../../../lib/controller/reconcile/index.ts";
import { createLogger } from "../../../lib/log/index.ts";
import type { PushRequest } from "../../../lib/push/index.ts";
import { manualClock } from "./manual-clock.ts";

export class FakeVaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(`Vault answered ${status}: ${errors.join("; ")}`);
  }
}

export interface RecordedEvent {
  pod: PodRef;
  reason: EventReason;
  message: string;
}

export function fakeWorld() {
  const clock = manualClock();
  const pods = new Map<string, PodView>();
  const events: RecordedEvent[] = [];
  const logs: string[] = [];
  const counters = new Map<string, number>();
  const count = (name: string, by = 1) => counters.set(name, (counters.get(name) ?? 0) + by);
  const latencies: number[] = [];
  const minted: { role: string; request: SecretIdRequest; wrapTtl: number }[] = [];
  const pushes: { podIp: string; request: PushRequest }[] = [];
  const revoked: string[] = [];
  const destroyed: string[] = [];
  let mintFailure: Error | undefined;
  let revokeFailure: Error | undefined;
  let pushAnswer: PushOutcome = {
    kind: "delivered",
    tokenAccessor: "tok-acc-1",
    secretIdAccessor: "sid-acc-1",
  };
  let serial = 0;
  let statusAnswer: StatusAnswer = { kind: "unreachable", reason: "no status answer set" };
  /** Every status check: pod IP and when (the fake clock). */
  const statusChecks: { podIp: string; at: number }[] = [];
  const leader = alwaysLeader();
  /** Every ledger command proposed, in order (what Raft would commit). */
  const commands: LedgerCommand[] = [];
  const ledgerState = createLedgerStateMachine();

  const deps: ReconcileDeps = {
    clock,
    leader,
    pods: { get: (uid) => pods.get(uid) },
    ledger: createProposingLedger(ledgerState, async (command) => {
      commands.push(command);
      return ledgerState.apply(command);
    }),
    events: { record: (pod, reason, message) => events.push({ pod, reason, message }) },
    log: createLogger("debug", {}, (line) => logs.push(line)),
    metrics: {
      secretIdRequested: (role) => count(`secretIdRequested:${role}`),
      secretIdRequestFailed: (role) => count(`secretIdRequestFailed:${role}`),
      pushed: (role) => count(`pushed:${role}`),
      pushFailed: (role) => count(`pushFailed:${role}`),
      pushLatency: (_role, seconds) => latencies.push(seconds),
      pushesInFlight: (delta) => count("inFlight", delta),
      tokenRevoked: () => count("revoked"),
      tokenRevocationForbidden: () => count("revocationForbidden"),
      sidecarStatusChecked: (result) => count(`statusChecked:${result}`),
      sidecarRenewalObserved: (role) => count(`renewalObserved:${role}`),
      sidecarReissued: (role) => count(`reissued:${role}`),
      sidecarReissueFailed: (role) => count(`reissueFailed:${role}`),
    },
    policy: policyFrom(parseAllowList("team-a: web", "ALLOWED_ROLES")),
    settings: {
      vaultAddr: "https://vault.test:8200",
      wrapTtlSeconds: 60,
      secretIdTtlSeconds: 120,
      cidrBinding: true,
      revokeOnDelete: true,
    },
    vault: {
      async createWrappedSecretId(role, request, wrapTtl) {
        if (mintFailure) throw mintFailure;
        minted.push({ role, request, wrapTtl });
        serial++;
        return {
          wrappingToken: `s.wrapping-${serial}`,
          creationTime: new Date(clock.now()).toISOString(),
          ttlSeconds: wrapTtl,
          secretIdAccessor: `sid-acc-${serial}`,
        };
      },
      async destroySecretId(_role, accessor) {
        destroyed.push(accessor);
      },
      async revokeAccessor(accessor) {
        if (revokeFailure) throw revokeFailure;
        revoked.push(accessor);
      },
      refusalOf: (error): VaultRefusal | undefined =>
        error instanceof FakeVaultError ? { status: error.status, errors: error.errors } : undefined,
    },
    pusher: {
      async push(podIp, request) {
        pushes.push({ podIp, request });
        return pushAnswer;
      },
      async status(podIp) {
        statusChecks.push({ podIp, at: clock.now() });
        return statusAnswer;
      },
    },
  };

  return {
    deps,
    clock,
    pods,
    events,
    logs,
    counters,
    latencies,
    minted,
    pushes,
    revoked,
    destroyed,
    leader,
    commands,
    ledgerState,
    failMinting: (error: Error | undefined) => {
      mintFailure = error;
    },
    failRevoking: (error: Error | undefined) => {
      revokeFailure = error;
    },
    answerPushes: (answer: PushOutcome) => {
      pushAnswer = answer;
    },
    statusChecks,
    answerStatus: (answer: StatusAnswer) => {
      statusAnswer = answer;
    },
  };
}

export function podWith(options: {
  uid?: string;
  namespace?: string;
  name?: string;
  role?: string;
  initState?: "running" | "waiting" | "terminated" | "absent";
  restartCount?: number;
  podIP?: string;
  serviceAccount?: string;
  annotations?: Record<string, string>;
  /** The vault-init container's spec: restartPolicy and a literal MODE (null: MODE from a ConfigMap). */
  initSpec?: { restartPolicy?: string; mode?: string | null };
}): PodView {
  const state = options.initState ?? "running";
  return {
    metadata: {
      uid: options.uid ?? "uid-1",
      namespace: options.namespace ?? "team-a",
      name: options.name ?? "web-0",
      annotations: options.annotations ?? {
        "pod.boostport.com/vault-approle": options.role ?? "web",
        "pod.boostport.com/vault-init-container": "vault-init",
      },
    },
    spec: {
      serviceAccountName: options.serviceAccount ?? "web-sa",
      ...(options.initSpec
        ? {
            initContainers: [
              {
                name: "vault-init",
                ...(options.initSpec.restartPolicy ? { restartPolicy: options.initSpec.restartPolicy } : {}),
                ...(options.initSpec.mode === undefined
                  ? {}
                  : {
                      env: [
                        options.initSpec.mode === null
                          ? { name: "MODE" }
                          : { name: "MODE", value: options.initSpec.mode },
                      ],
                    }),
              },
            ],
          }
        : {}),
    },
    status: {
      podIP: options.podIP ?? "127.1.0.5",
      initContainerStatuses:
        state === "absent"
          ? []
          : [{ name: "vault-init", restartCount: options.restartCount ?? 0, state: { [state]: {} } }],
    },
  };
}

/** A pod whose vault-init container is a native sidecar (restartPolicy: Always, MODE=sidecar). */
export function sidecarPod(options: Parameters<typeof podWith>[0] = {}): PodView {
  return podWith({ ...options, initSpec: { restartPolicy: "Always", mode: "sidecar" } });
}
