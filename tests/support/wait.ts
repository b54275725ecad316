/**
 * Waiting helpers for tests: poll a condition until it holds or a generous deadline passes. CI runs on a busy
 * 2-core machine, so deadlines are long and nothing sleeps a fixed time hoping work is done.
 */
export const DEFAULT_DEADLINE_MS = 60_000;

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  deadlineMs = DEFAULT_DEADLINE_MS,
  intervalMs = 20,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > until) {
      const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${suffix}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
