/**
 * The init container's environment: the original's VAULT_ROLE_ID, TOKEN_PATH, CREDENTIALS_PATH, RETRIEVE_TOKEN,
 * UNWRAP_SECRET, TIMEOUT and LOG_LEVEL, plus the settings that authenticate the push and pin Vault, and MODE /
 * READINESS_ADDRESS for the native-sidecar mode (a restartPolicy: Always init container that renews its token).
 *
 * Contract: `loadInitConfig` is pure; it throws one ConfigError listing every problem and never quotes
 * VAULT_ROLE_ID. Files named here are read later with files.ts.
 *
 * Secure by default: without CONTROLLER_CA_CERT anyone who can reach the pod could push to it (and, without
 * VAULT_ADDR, choose its Vault), so that is a configuration error unless the operator opts in with
 * INSECURE_UNAUTHENTICATED_PUSH=true. VAULT_ADDR must be https://: the init sends the role_id and secret_id there.
 */
import { posix } from "node:path";
import { defaultListenAddress, httpsVaultAddress, type ListenAddress, listenAddress } from "./address.ts";
import {
  appRoleName,
  bool,
  type ConfigLogLevel,
  directoryPath,
  duration,
  filePath,
  ipAddress,
  logLevel,
  secret,
} from "./converters.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { accept, type Converter, type Env, field, parseFields, refuse } from "./fields.ts";

export const INIT_DEFAULTS = {
  tokenPath: "/var/run/secrets/boostport.com/vault-token",
  timeoutMs: 5 * 60_000,
  /** All IPv4 and IPv6 interfaces: the pod IP may be either family. */
  listenAddress: "[::]:50000",
  /** Plain http for the kubelet's startupProbe (scratch images have no shell for an exec probe). */
  readinessAddress: "[::]:50001",
} as const;

export const INIT_MODES = ["init", "sidecar"] as const;
/** init: exit once the credentials are written (the original). sidecar: stay, renew the token, take re-issues. */
export type InitMode = (typeof INIT_MODES)[number];

const initMode: Converter<InitMode> = (raw) => {
  const word = raw.trim().toLowerCase();
  return (INIT_MODES as readonly string[]).includes(word)
    ? accept(word as InitMode)
    : refuse(
        `"${raw.trim().slice(0, 40)}" is not a mode`,
        'use "init" (the default: exit once the token is written) or "sidecar" (a native sidecar, restartPolicy: Always, that keeps the token renewed)',
      );
};

const ROLE_ID_FIX =
  "set it to the AppRole's role_id (`vault read -field=role_id auth/approle/role/<role>/role-id`), preferably from a Secret";

const initVaultAddress = httpsVaultAddress(
  "the init would send the role_id and secret_id to Vault unencrypted (pushes naming an http:// Vault are refused as well)",
);

/** Also raised by lib/init's runInit for settings built by hand, so no caller is unauthenticated by omission. */
export const CONTROLLER_CA_MISSING: ConfigProblem = {
  variable: "CONTROLLER_CA_CERT",
  problem:
    "is not set, so pushes would be unauthenticated: anyone who can reach this pod's port could hand it a secret_id (and, without VAULT_ADDR, choose the Vault it sends its role_id to)",
  fix: "set CONTROLLER_CA_CERT to the PEM file of the CA that issues the controller's certificate (the controller's VAULT_CA_BACKEND mount: `vault read -field=certificate <mount>/cert/ca`, mounted from a ConfigMap); only for a test setup without one, set INSECURE_UNAUTHENTICATED_PUSH=true",
};

const initShape = {
  VAULT_ROLE_ID: field(secret({ what: "role_id", fix: ROLE_ID_FIX }), { required: ROLE_ID_FIX }),
  TOKEN_PATH: field(filePath, { default: INIT_DEFAULTS.tokenPath }),
  CREDENTIALS_PATH: field(directoryPath),
  RETRIEVE_TOKEN: field(bool, { default: true }),
  UNWRAP_SECRET: field(bool, { default: true }),
  TIMEOUT: field(duration({ minMs: 1_000 }), { default: INIT_DEFAULTS.timeoutMs }),
  LOG_LEVEL: field(logLevel, { default: "info" as ConfigLogLevel }),
  VAULT_ADDR: field(initVaultAddress),
  VAULT_CACERT: field(filePath),
  VAULT_ROLE_NAME: field(appRoleName),
  LISTEN_ADDRESS: field(listenAddress),
  POD_IP: field(ipAddress),
  CONTROLLER_CA_CERT: field(filePath),
  INSECURE_UNAUTHENTICATED_PUSH: field(bool, { default: false }),
  MODE: field(initMode, { default: "init" as InitMode }),
  READINESS_ADDRESS: field(listenAddress),
};

/** Every variable the init container reads, for documentation and manifest checks. */
export const INIT_ENV_NAMES: readonly string[] = Object.keys(initShape);

export interface InitConfig {
  /** Secret: never log it. */
  roleId: string;
  tokenPath: string;
  credentialsDir: string;
  retrieveToken: boolean;
  unwrapSecret: boolean;
  timeoutMs: number;
  logLevel: ConfigLogLevel;
  /** VAULT_ADDR: when set, pushes naming another Vault are refused. */
  vaultAddr?: string;
  vaultCaCertPath?: string;
  /** VAULT_ROLE_NAME: the AppRole the wrapping token must have been created for. */
  expectedRole?: string;
  listen: ListenAddress;
  podIp?: string;
  controllerCaCertPath?: string;
  /** INSECURE_UNAUTHENTICATED_PUSH: the operator accepts pushes from anyone (only when CONTROLLER_CA_CERT is unset). */
  insecureUnauthenticatedPush: boolean;
  mode: InitMode;
  /** READINESS_ADDRESS: where GET /ready answers (sidecar mode only). */
  readiness: ListenAddress;
  warnings: string[];
}

function overlaps(a: ListenAddress, b: ListenAddress): boolean {
  const any = (host: string) => host === "::" || host === "0.0.0.0";
  return a.port === b.port && (a.hostname === b.hostname || any(a.hostname) || any(b.hostname));
}

export function loadInitConfig(env: Env): InitConfig {
  const { values, problems } = parseFields(initShape, env);
  if (values.RETRIEVE_TOKEN === true && values.UNWRAP_SECRET === false)
    problems.push({
      variable: "UNWRAP_SECRET",
      problem:
        "UNWRAP_SECRET=false needs RETRIEVE_TOKEN=false (a token cannot be retrieved without unwrapping)",
      fix: "set RETRIEVE_TOKEN=false as well, or remove UNWRAP_SECRET",
    });
  if (values.MODE === "sidecar" && values.RETRIEVE_TOKEN === false)
    problems.push({
      variable: "MODE",
      problem:
        "MODE=sidecar renews a Vault token, but RETRIEVE_TOKEN=false leaves no token to renew (a secret_id is not renewable)",
      fix: "set RETRIEVE_TOKEN=true (the default) with MODE=sidecar, or use MODE=init",
    });
  const caProblem = problems.some((p) => p.variable === "CONTROLLER_CA_CERT");
  if (!caProblem && values.CONTROLLER_CA_CERT === undefined && values.INSECURE_UNAUTHENTICATED_PUSH !== true)
    problems.push(CONTROLLER_CA_MISSING);
  if (problems.length > 0) throw new ConfigError(problems, "init container configuration");
  const ok = values as Required<typeof values>;
  const warnings = [...(values.VAULT_ADDR?.warnings ?? [])];
  if (ok.INSECURE_UNAUTHENTICATED_PUSH && values.CONTROLLER_CA_CERT !== undefined)
    warnings.push(
      "INSECURE_UNAUTHENTICATED_PUSH=true is ignored: CONTROLLER_CA_CERT is set, so pushes are authenticated. Remove INSECURE_UNAUTHENTICATED_PUSH.",
    );
  const listen = values.LISTEN_ADDRESS ?? defaultListenAddress(INIT_DEFAULTS.listenAddress);
  const readiness = values.READINESS_ADDRESS ?? defaultListenAddress(INIT_DEFAULTS.readinessAddress);
  if (ok.MODE === "sidecar" && overlaps(listen, readiness))
    throw new ConfigError(
      [
        {
          variable: "READINESS_ADDRESS",
          problem: `uses port ${readiness.port}, which the push already listens on (LISTEN_ADDRESS)`,
          fix: `give READINESS_ADDRESS another port (the default is ${INIT_DEFAULTS.readinessAddress})`,
        },
      ],
      "init container configuration",
    );
  if (ok.MODE === "init" && values.READINESS_ADDRESS !== undefined)
    warnings.push(
      "READINESS_ADDRESS is ignored with MODE=init: the init container exits once the token is written, so no readiness endpoint is served. Remove it, or set MODE=sidecar.",
    );
  return {
    roleId: ok.VAULT_ROLE_ID,
    tokenPath: ok.TOKEN_PATH,
    credentialsDir: values.CREDENTIALS_PATH ?? posix.dirname(ok.TOKEN_PATH),
    retrieveToken: ok.RETRIEVE_TOKEN,
    unwrapSecret: ok.UNWRAP_SECRET,
    timeoutMs: ok.TIMEOUT,
    logLevel: ok.LOG_LEVEL,
    ...(values.VAULT_ADDR !== undefined ? { vaultAddr: values.VAULT_ADDR.addr } : {}),
    ...(values.VAULT_CACERT !== undefined ? { vaultCaCertPath: values.VAULT_CACERT } : {}),
    ...(values.VAULT_ROLE_NAME !== undefined ? { expectedRole: values.VAULT_ROLE_NAME } : {}),
    listen,
    ...(values.POD_IP !== undefined ? { podIp: values.POD_IP } : {}),
    ...(values.CONTROLLER_CA_CERT !== undefined ? { controllerCaCertPath: values.CONTROLLER_CA_CERT } : {}),
    insecureUnauthenticatedPush: ok.INSECURE_UNAUTHENTICATED_PUSH && values.CONTROLLER_CA_CERT === undefined,
    mode: ok.MODE,
    readiness,
    warnings,
  };
}
