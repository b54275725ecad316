/**
 * Error kinds the work loop tells apart (controller-runtime's convention).
 *
 * - `TerminalError`: retrying cannot help until something outside changes (a bad annotation, a role the allow-list
 *   refuses). Count it, explain it on the pod, don't retry; a change to the pod enqueues it again.
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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
