/**
 * Start-up failures a user can cause or fix, each with the exit code it ends in. Whatever else escapes start-up is
 * reported by its message only: a stack trace helps no operator, and a message is where our hints live.
 */
import { formatConfigError, isConfigError } from "../config/index.ts";
import { CertificateIssueError, TokenLookupError, TokenRefusedError } from "../controller/index.ts";
import { KubeConfigError } from "../kube/index.ts";

export const EXIT_OK = 0;
export const EXIT_STARTUP_FAILED = 1;
export const EXIT_CONFIG = 2;

export function describeStartupError(error: unknown): { message: string; exitCode: number } {
  if (isConfigError(error)) return { message: formatConfigError(error), exitCode: EXIT_CONFIG };
  if (error instanceof KubeConfigError) return { message: error.message, exitCode: EXIT_CONFIG };
  if (
    error instanceof TokenRefusedError ||
    error instanceof TokenLookupError ||
    error instanceof CertificateIssueError
  )
    return { message: error.message, exitCode: EXIT_STARTUP_FAILED };
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `kubernetes-vault controller could not start: ${message}`,
    exitCode: EXIT_STARTUP_FAILED,
  };
}
