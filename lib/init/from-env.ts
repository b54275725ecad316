/**
 * runInitFromEnv(): everything cmd/init.ts does, minus the process: validate the environment (lib/config), read
 * its files, run the init and map every ending to the executable's exit code (0 delivered, 1 timed out or could
 * not start, 2 invalid configuration). The in-process pod fleet of the sandbox runs the same function.
 */
import { CONFIG_EXIT_CODE, formatConfigError, isConfigError, loadInitConfig } from "../config/index.ts";
import { initSettingsFromConfig } from "./from-config.ts";
import { EXIT_TIMED_OUT, type RunInitOptions, runInit } from "./run.ts";
import { vaultFromPod } from "./vault-client.ts";

/** A failure to start (port taken, no such address) exits like a timeout: the pod did not get credentials. */
export const EXIT_FAILED = EXIT_TIMED_OUT;

export type InitFromEnvOptions = Omit<RunInitOptions, "openVault"> &
  Partial<Pick<RunInitOptions, "openVault">>;

export async function runInitFromEnv(
  env: Record<string, string | undefined>,
  options: InitFromEnvOptions = {},
): Promise<number> {
  const writeText = options.writeText ?? ((text: string) => process.stderr.write(`${text}\n`));
  try {
    const settings = await initSettingsFromConfig(loadInitConfig(env));
    return await runInit(settings, {
      ...options,
      writeText,
      openVault: options.openVault ?? vaultFromPod(settings.podIp),
    });
  } catch (error) {
    if (isConfigError(error)) {
      writeText(`kubernetes-vault init: ${formatConfigError(error)}`);
      return CONFIG_EXIT_CODE;
    }
    writeText(
      `kubernetes-vault init: could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    return EXIT_FAILED;
  }
}
