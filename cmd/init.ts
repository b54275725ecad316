/**
 * kubernetes-vault init container: waits for the controller's push of a wrapped secret_id, verifies it with Vault,
 * logs in and writes the credentials (lib/init). Exit codes: 0 credentials written, 1 timed out or could not
 * start, 2 invalid configuration.
 */
import { runInitFromEnv } from "../lib/init/index.ts";

/** After the answer is sent nothing should hold the process; if something does, do not hang the pod. */
const EXIT_GRACE_MS = 2_000;

runInitFromEnv(process.env).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
