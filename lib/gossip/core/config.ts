/**
 * Options of a SWIM member, defaulted from ../defaults.ts and validated once at construction so a bad value
 * fails at start-up with the option named, never later in a timer.
 */
import { type Address, isValidAddress } from "../address.ts";
import * as defaults from "../defaults.ts";
import type { Meta } from "../wire/messages.ts";
import type { RandomSource } from "./types.ts";

export interface SwimTiming {
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly indirectChecks: number;
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly retransmitMult: number;
  readonly gossipIntervalMs: number;
  readonly gossipNodes: number;
  readonly pushPullIntervalMs: number;
  readonly joinRetryIntervalMs: number;
  readonly deadReapTimeoutMs: number;
  /** Bytes of plaintext a datagram may carry: MAX_PACKET_BYTES less the security envelope. */
  readonly maxPayloadBytes: number;
}

export interface SwimConfig extends Partial<SwimTiming> {
  readonly name: string;
  /** The address peers reach us at (the pod IP and gossip port), never a wildcard. */
  readonly address: Address;
  readonly meta?: Meta;
  readonly random: RandomSource;
  /** Time of construction, on the same clock as every later call. */
  readonly nowMs: number;
}

export const DEFAULT_TIMING: SwimTiming = {
  probeIntervalMs: defaults.PROBE_INTERVAL_MS,
  probeTimeoutMs: defaults.PROBE_TIMEOUT_MS,
  indirectChecks: defaults.INDIRECT_CHECKS,
  suspicionMult: defaults.SUSPICION_MULT,
  suspicionMaxTimeoutMult: defaults.SUSPICION_MAX_TIMEOUT_MULT,
  retransmitMult: defaults.RETRANSMIT_MULT,
  gossipIntervalMs: defaults.GOSSIP_INTERVAL_MS,
  gossipNodes: defaults.GOSSIP_NODES,
  pushPullIntervalMs: defaults.PUSH_PULL_INTERVAL_MS,
  joinRetryIntervalMs: defaults.JOIN_RETRY_INTERVAL_MS,
  deadReapTimeoutMs: defaults.DEAD_REAP_TIMEOUT_MS,
  maxPayloadBytes: defaults.MAX_PAYLOAD_BYTES,
};

export function resolveTiming(config: SwimConfig): SwimTiming {
  if (config.name === "") throw new Error("gossip: name must be non-empty (use POD_NAME)");
  if (!isValidAddress(config.address)) {
    throw new Error(
      `gossip: address ${JSON.stringify(config.address)} must be an IP literal and a port 1-65535`,
    );
  }
  const timing: SwimTiming = { ...DEFAULT_TIMING };
  for (const key of Object.keys(DEFAULT_TIMING) as (keyof SwimTiming)[]) {
    const value = config[key] ?? DEFAULT_TIMING[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`gossip: ${key} must be a non-negative integer, got ${value}`);
    }
    (timing as Record<keyof SwimTiming, number>)[key] = value;
  }
  if (timing.probeTimeoutMs >= timing.probeIntervalMs) {
    throw new Error(
      `gossip: probeTimeoutMs (${timing.probeTimeoutMs}) must be shorter than probeIntervalMs (${timing.probeIntervalMs}) so indirect probes fit in a round`,
    );
  }
  return timing;
}
