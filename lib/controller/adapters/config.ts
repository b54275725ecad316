/**
 * lib/config's decisions and settings seen through reconcile's ports.
 *
 * Contract: `policyFrom` answers with lib/config's own annotation parsing and allow-list decision (deny by default;
 * reasons that name the setting to change); `reconcileSettingsFrom` copies the relevant ControllerConfig fields.
 */
import {
  type AllowList,
  allowListDecision,
  type ControllerConfig,
  parsePodAnnotations,
} from "../../config/index.ts";
import type { Policy, ReconcileSettings } from "../reconcile/index.ts";

export function policyFrom(allowList: AllowList): Policy {
  return {
    parseAnnotations: (annotations) => parsePodAnnotations(annotations),
    decide: (request) => allowListDecision(allowList, request),
  };
}

/** `vaultCaPem` is VAULT_CACERT's contents (read at start-up), passed on to init containers. */
export function reconcileSettingsFrom(config: ControllerConfig, vaultCaPem?: string): ReconcileSettings {
  return {
    vaultAddr: config.vault.addr,
    ...(vaultCaPem ? { vaultCaPem } : {}),
    wrapTtlSeconds: config.wrapTtlSeconds,
    secretIdTtlSeconds: config.secretIdTtlSeconds,
    cidrBinding: config.cidrBinding,
    revokeOnDelete: config.revokeOnDelete,
    sidecarReissueMarginMs: config.sidecarReissueMarginMs,
  };
}
