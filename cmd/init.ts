/**
 * kubernetes-vault init container: waits for the controller's push of a wrapped secret_id, verifies it with Vault,
 * logs in and writes the credentials (lib/init). Exit codes: 0 credentials written, 1 timed out or failed to
 * start, 2 invalid configuration.
 */
import { CONFIG_EXIT_CODE, formatConfigError, isConfigError, loadInitConfig } from "../lib/config/index.ts";
import { initSettingsFromConfig, runInit, vaultFromPod } from "../lib/init/index.ts";

const EXIT_FAILED = 1;
/** After the answer is sent nothing should hold the process; if something does, do not hang the pod. */
const EXIT_GRACE_MS = 2_000;

async function main(): Promise<number> {
  let settings: Awaited<ReturnType<typeof initSettingsFromConfig>>;
  try {
    settings = await initSettingsFromConfig(loadInitConfig(process.env));
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`kubernetes-vault init: ${formatConfigError(error)}\n`);
    return CONFIG_EXIT_CODE;
  }
  return runInit(settings, { openVault: vaultFromPod(settings.podIp) });
}

function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

main().then(exit, (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kubernetes-vault init: could not start: ${message}\n`);
  exit(EXIT_FAILED);
});
