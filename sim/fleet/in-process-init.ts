/**
 * One init container run inside the fleet's process: the same steps as cmd/init.ts (lib/config validates the
 * environment, lib/init's runInit mints the certificate, binds the pod's address with the client-certificate
 * requirement, verifies, unwraps, logs in and writes the token file), minus the process. Returns the exit code the
 * executable would have had: 0 delivered, 1 timed out or could not start, 2 invalid configuration.
 */
import {
  CONFIG_EXIT_CODE,
  formatConfigError,
  isConfigError,
  loadInitConfig,
} from "../../lib/config/index.ts";
import { initSettingsFromConfig, runInit, vaultFromPod } from "../../lib/init/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { RunningServer } from "../../lib/runtime/index.ts";

const EXIT_FAILED = 1;

export interface InProcessInitOptions {
  env: Record<string, string>;
  log: Logger;
  /** Where the executable would write plain text to stderr (config errors, the timeout explanation). */
  writeText(text: string): void;
  onListening(server: RunningServer): void;
}

export async function runInitInProcess(options: InProcessInitOptions): Promise<number> {
  try {
    const settings = await initSettingsFromConfig(loadInitConfig(options.env));
    return await runInit(settings, {
      openVault: vaultFromPod(settings.podIp),
      log: options.log,
      writeText: options.writeText,
      onListening: options.onListening,
    });
  } catch (error) {
    if (isConfigError(error)) {
      options.writeText(`kubernetes-vault init: ${formatConfigError(error)}`);
      return CONFIG_EXIT_CODE;
    }
    const message = error instanceof Error ? error.message : String(error);
    options.writeText(`kubernetes-vault init: could not start: ${message}`);
    return EXIT_FAILED;
  }
}
