/**
 * kubernetes-vault controller: watches annotated pods and delivers each a response-wrapped, pod-bound AppRole
 * secret_id. Configuration is the environment (see README); the exit code says how it ended
 * (0 after a clean shutdown, 1 when start-up failed, 2 for a configuration error).
 */
import { runController } from "../lib/main/index.ts";

const shutdown = new Promise<string>((resolve) => {
  process.once("SIGTERM", () => resolve("SIGTERM"));
  process.once("SIGINT", () => resolve("SIGINT"));
});

process.exitCode = await runController({ env: process.env, shutdown });
process.exit();
