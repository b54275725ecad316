/**
 * InitConfig (lib/config, validated env) -> InitSettings: reads the PEM files it names. Any unreadable or non-PEM
 * file is a ConfigError (exit 2), like any other configuration problem.
 */
import { type InitConfig, readPemFile } from "../config/index.ts";
import { credentialModeOf, type InitSettings } from "./settings.ts";

export async function initSettingsFromConfig(config: InitConfig): Promise<InitSettings> {
  const [vaultCaPem, controllerCaPem] = await Promise.all([
    config.vaultCaCertPath === undefined ? undefined : readPemFile("VAULT_CACERT", config.vaultCaCertPath),
    config.controllerCaCertPath === undefined
      ? undefined
      : readPemFile("CONTROLLER_CA_CERT", config.controllerCaCertPath),
  ]);
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
    logLevel: config.logLevel,
    configWarnings: config.warnings,
  };
}
