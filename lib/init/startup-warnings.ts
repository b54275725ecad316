/**
 * Configurations that work but weaken the guarantees, said out loud at every start-up so they are never silent
 * (an unauthenticated push needs INSECURE_UNAUTHENTICATED_PUSH=true, and still warns each time).
 * Pure: returns the warnings for run.ts to log.
 */
import type { InitSettings } from "./settings.ts";

export function startupWarnings(settings: InitSettings): string[] {
  const warnings: string[] = [...(settings.configWarnings ?? [])];
  if (settings.controllerCaPem === undefined) {
    warnings.push(
      "INSECURE_UNAUTHENTICATED_PUSH=true and CONTROLLER_CA_CERT is not set: the push is UNAUTHENTICATED, anyone who can reach this pod may push to it, and CAs sent in a push are ignored. Set CONTROLLER_CA_CERT to the controller's CA and remove INSECURE_UNAUTHENTICATED_PUSH.",
    );
    if (settings.pinnedVaultAddr === undefined)
      warnings.push(
        "VAULT_ADDR is not set either: an unauthenticated push chooses which Vault this pod talks to. Set VAULT_ADDR to pin it.",
      );
  }
  if (settings.expectedRole === undefined)
    warnings.push(
      "VAULT_ROLE_NAME is not set: a secret_id of any AppRole is accepted. Set it from the downward API (metadata.annotations['pod.boostport.com/vault-approle']).",
    );
  if (settings.podIp === undefined)
    warnings.push(
      "POD_IP is not set: the certificate names no pod IP (the controller will refuse it) and Vault calls leave from any address, which breaks a secret_id cidr_list binding. Set it from the downward API (status.podIP).",
    );
  return warnings;
}
