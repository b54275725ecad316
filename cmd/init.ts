/**
 * kubernetes-vault init container: waits for the controller's push of a wrapped secret_id, verifies it with Vault,
 * logs in and writes the credentials (lib/init). With MODE=sidecar it stays, renews the token and takes re-issues
 * until SIGTERM. Exit codes: 0 credentials written (sidecar: stopped and the token revoked), 1 timed out or could
 * not start, 2 invalid configuration, 128+signal when stopped before credentials were delivered.
 */
import { runInitFromEnv } from "../lib/init/index.ts";

/** After the answer is sent nothing should hold the process; if something does, do not hang the pod. */
const EXIT_GRACE_MS = 2_000;
/** A sidecar's revoke-self on SIGTERM has this long before the process leaves anyway (under the pod's grace). */
const SIDECAR_STOP_LIMIT_MS = 15_000;

let finishedWith: number | undefined;
/** Set once MODE=sidecar is running: SIGTERM then means "revoke the token and exit 0", not "stop at once". */
let sidecarRunning = false;
const stop = new AbortController();

// As PID 1 in its container, a signal without a handler is ignored, and a deleted pod would wait out its whole
// grace period. Stopping at once is safe: files are only ever renamed into place whole.
for (const [signal, number] of [
  ["SIGTERM", 15],
  ["SIGINT", 2],
] as const) {
  process.on(signal, () => {
    if (finishedWith !== undefined) process.exit(finishedWith);
    if (sidecarRunning) {
      if (stop.signal.aborted) return;
      stop.abort();
      setTimeout(() => process.exit(0), SIDECAR_STOP_LIMIT_MS).unref();
      return;
    }
    process.stderr.write(`kubernetes-vault init: stopped by ${signal} before credentials were delivered\n`);
    process.exit(128 + number);
  });
}

runInitFromEnv(process.env, {
  stop: stop.signal,
  onKeeper: () => {
    sidecarRunning = true;
  },
}).then((code) => {
  finishedWith = code;
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
