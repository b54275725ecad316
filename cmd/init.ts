/**
 * kubernetes-vault init container: waits for the controller's push of a wrapped secret_id, verifies it with Vault,
 * logs in and writes the credentials (lib/init). Exit codes: 0 credentials written, 1 timed out or could not
 * start, 2 invalid configuration, 128+signal when stopped.
 */
import { runInitFromEnv } from "../lib/init/index.ts";

/** After the answer is sent nothing should hold the process; if something does, do not hang the pod. */
const EXIT_GRACE_MS = 2_000;

let finishedWith: number | undefined;

// As PID 1 in its container, a signal without a handler is ignored, and a deleted pod would wait out its whole
// grace period. Stopping at once is safe: files are only ever renamed into place whole.
for (const [signal, number] of [
  ["SIGTERM", 15],
  ["SIGINT", 2],
] as const) {
  process.on(signal, () => {
    if (finishedWith !== undefined) process.exit(finishedWith);
    process.stderr.write(`kubernetes-vault init: stopped by ${signal} before credentials were delivered\n`);
    process.exit(128 + number);
  });
}

runInitFromEnv(process.env).then((code) => {
  finishedWith = code;
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
