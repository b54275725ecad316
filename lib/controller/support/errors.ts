/**
 * Error kinds the work loop tells apart (controller-runtime's convention).
 *
 * - `TerminalError`: retrying cannot help until something outside changes (a bad annotation, a role the allow-list
 *   refuses). Count it, explain it on the pod, don't retry; a change to the pod enqueues it again.
 * - `NotReadyError`: an expected wait (the init container runs but does not listen yet); retried with back-off
 *   like any transient error, but logged at debug level, since every pod goes through it at start-up.
 * - Any other error: transient; the key is retried with per-item back-off.
 */
export class TerminalError extends Error {
  constructor(
    message: string,
    /** A short stable label for metrics and logs, e.g. "role-not-allowed". */
    readonly kind: string,
  ) {
    super(message);
    this.name = "TerminalError";
  }
}

export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotReadyError";
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
