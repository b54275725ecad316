/**
 * sys/health: whether Vault is initialized, unsealed and active.
 * API: https://developer.hashicorp.com/vault/api-docs/system/health
 *
 * Contract: Vault encodes its state in the status code (200 active, 429 standby, 472 DR secondary, 473 performance
 * standby, 474 standby without an active node, 501 uninitialized, 503 sealed, 530 removed); each of those is an
 * answer, returned with its body, not an error. Only a failure to answer is retried.
 */
import * as v from "valibot";
import { VaultError, VaultResponseError } from "./errors.ts";
import { call, json, type TransportOptions } from "./transport.ts";

const HEALTH_STATUSES = [429, 472, 473, 474, 501, 503, 530] as const;

const HealthBody = v.looseObject({
  initialized: v.boolean(),
  sealed: v.boolean(),
  standby: v.boolean(),
  performance_standby: v.optional(v.boolean(), false),
  version: v.optional(v.string(), ""),
  cluster_name: v.optional(v.string()),
  server_time_utc: v.optional(v.number()),
});

export interface VaultHealth {
  status: number;
  /** Initialized, unsealed and active: can take writes. */
  active: boolean;
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  performanceStandby: boolean;
  version: string;
  clusterName?: string;
}

export async function health(options: TransportOptions): Promise<VaultHealth> {
  const path = "sys/health";
  let status = 0;
  const body = await call(options, {
    method: "GET",
    path,
    token: null,
    retryable: true,
    answerStatuses: HEALTH_STATUSES,
    decode: (answer) => {
      status = answer.status;
      try {
        return json("GET", path, HealthBody)(answer);
      } catch (error) {
        // A 5xx without a health document came from something in front of Vault (a proxy): a failure, retried.
        if (answer.status >= 500 && error instanceof VaultResponseError)
          throw new VaultError("GET", path, answer.status, []);
        throw error;
      }
    },
  });
  return {
    status,
    active: status === 200 && body.initialized && !body.sealed && !body.standby,
    initialized: body.initialized,
    sealed: body.sealed,
    standby: body.standby,
    performanceStandby: body.performance_standby,
    version: body.version,
    ...(body.cluster_name ? { clusterName: body.cluster_name } : {}),
  };
}
