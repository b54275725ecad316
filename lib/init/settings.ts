/**
 * What the init container runs with, resolved from the environment by lib/config (see `initSettingsFromConfig`).
 * Paths are absolute and PEM files already read, so nothing below this type touches the environment.
 */
import type { LogLevel } from "../log/index.ts";

/** RETRIEVE_TOKEN / UNWRAP_SECRET combinations of the original, by what ends up on disk. */
export type CredentialMode = "token" | "secret-id" | "wrapped-secret-id";

export interface InitSettings {
  roleId: string;
  /** The AppRole this pod must receive a secret_id of; undefined accepts any AppRole (with a start-up warning). */
  expectedRole: string | undefined;
  mode: CredentialMode;
  tokenPath: string;
  credentialsDir: string;
  timeoutMs: number;
  listen: { hostname: string; port: number };
  /** The certificate's IP SAN and the source address of Vault calls (Vault's cidr_list binding). */
  podIp: string | undefined;
  /** When set, a push naming another Vault is refused and this address is used. */
  pinnedVaultAddr: string | undefined;
  /** VAULT_CACERT's contents; undefined means the system roots. */
  vaultCaPem: string | undefined;
  /** CONTROLLER_CA_CERT's contents; undefined means the push is unauthenticated, which needs the flag below. */
  controllerCaPem: string | undefined;
  /**
   * INSECURE_UNAUTHENTICATED_PUSH=true: the operator chose to accept pushes from anyone. Without it (or a
   * controllerCaPem) runInit refuses to start, so no caller can end up unauthenticated by leaving a field out.
   */
  allowUnauthenticatedPush?: boolean;
  logLevel: LogLevel;
  /** Valid but risky settings lib/config noticed (e.g. plain http to Vault), logged at start-up. */
  configWarnings?: string[];
  /**
   * MODE=sidecar: after the first push, keep running, renew the token, answer GET /status and take re-issues;
   * absent for MODE=init (exit once the credentials are written). Needs mode "token".
   */
  sidecar?: SidecarSettings;
}

export interface SidecarSettings {
  /** Plain-http GET /ready for the kubelet's startupProbe (READINESS_ADDRESS). */
  readiness: { hostname: string; port: number };
}

export function credentialModeOf(retrieveToken: boolean, unwrapSecret: boolean): CredentialMode {
  if (retrieveToken) return "token";
  return unwrapSecret ? "secret-id" : "wrapped-secret-id";
}
