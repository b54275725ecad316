/**
 * InitConfig (lib/config, validated env) -> InitSettings: reads the PEM files it names and checks that the
 * credential directories are writable. Any unreadable or non-PEM file, or a directory the init cannot write, is a
 * ConfigError (exit 2) like any other configuration problem: found at start-up, not after a secret_id was spent.
 */
import { dirname } from "node:path";
import {
  ConfigError,
  type ConfigProblem,
  type InitConfig,
  isConfigError,
  readPemFile,
} from "../config/index.ts";
import { probeWritableDirectory } from "./atomic-write.ts";
import { credentialModeOf, type InitSettings } from "./settings.ts";

async function unwritable(variable: string, directory: string): Promise<ConfigProblem | undefined> {
  try {
    await probeWritableDirectory(directory);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    return {
      variable,
      problem: `the directory ${directory} is not writable by this container (${code})`,
      fix: "mount a writable volume there (an emptyDir shared with the application container) or change the path",
    };
  }
}

/** The directory each output mode writes to, named by the variable that chose it. */
function directoryChecks(config: InitConfig): Promise<ConfigProblem | undefined>[] {
  const tokenDir = dirname(config.tokenPath);
  const checks: [string, string][] = config.retrieveToken
    ? [["TOKEN_PATH", tokenDir]]
    : [["CREDENTIALS_PATH", config.credentialsDir]];
  // ca.crt goes to CREDENTIALS_PATH in every mode.
  if (config.retrieveToken && config.credentialsDir !== tokenDir)
    checks.push(["CREDENTIALS_PATH", config.credentialsDir]);
  return checks.map(([variable, directory]) => unwritable(variable, directory));
}

async function optionalPem(variable: string, path: string | undefined): Promise<string | undefined> {
  return path === undefined ? undefined : readPemFile(variable, path);
}

/** Problems of every file and directory at once, as lib/config reports the environment's. */
function problemsOf(result: PromiseSettledResult<unknown>): ConfigProblem[] {
  if (result.status === "fulfilled") return [];
  if (isConfigError(result.reason)) return result.reason.problems;
  throw result.reason;
}

export async function initSettingsFromConfig(config: InitConfig): Promise<InitSettings> {
  const [vaultCa, controllerCa, ...directories] = await Promise.allSettled([
    optionalPem("VAULT_CACERT", config.vaultCaCertPath),
    optionalPem("CONTROLLER_CA_CERT", config.controllerCaCertPath),
    ...directoryChecks(config),
  ]);
  const problems = [vaultCa, controllerCa].flatMap((result) => (result ? problemsOf(result) : []));
  for (const result of directories)
    if (result.status === "fulfilled" && result.value) problems.push(result.value);
  if (problems.length > 0) throw new ConfigError(problems, "init container configuration");
  const vaultCaPem = vaultCa?.status === "fulfilled" ? (vaultCa.value as string | undefined) : undefined;
  const controllerCaPem =
    controllerCa?.status === "fulfilled" ? (controllerCa.value as string | undefined) : undefined;
  return {
    roleId: config.roleId,
    expectedRole: config.expectedRole,
    mode: credentialModeOf(config.retrieveToken, config.unwrapSecret),
    tokenPath: config.tokenPath,
    credentialsDir: config.credentialsDir,
    timeoutMs: config.timeoutMs,
    listen: config.listen,
    podIp: config.podIp,
    pinnedVaultAddr: config.vaultAddr,
    vaultCaPem,
    controllerCaPem,
    allowUnauthenticatedPush: config.insecureUnauthenticatedPush,
    logLevel: config.logLevel,
    configWarnings: config.warnings,
    ...(config.mode === "sidecar" ? { sidecar: { readiness: config.readiness } } : {}),
  };
}
