/**
 * isListening(): does anything accept TCP connections on podIP:port? Asked before a secret_id is minted, because a
 * kubelet reports an init container "running" as soon as its process starts, well before it listens on :50000.
 * Minting first would spend a fresh secret_id on every refused connection of that start-up race.
 *
 * Contract: opens and closes one plain TCP connection (no TLS, no bytes sent, so the init sees nothing worth
 * logging); resolves, never rejects; "refused" and "unreachable" carry a short reason for events.
 */
import { connect } from "node:net";

export type ListeningAnswer = { listening: true } | { listening: false; reason: string };

export function isListening(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
  localAddress?: string,
): Promise<ListeningAnswer> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ listening: false, reason: "aborted: leadership lost or shutting down" });
      return;
    }
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const finish = (answer: ListeningAnswer) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(answer);
    };
    const onAbort = () => finish({ listening: false, reason: "aborted: leadership lost or shutting down" });
    const timer = setTimeout(
      () => finish({ listening: false, reason: `no answer on ${host}:${port} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish({ listening: true }));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      finish({
        listening: false,
        reason: `nothing listens on ${host}:${port} (${error.code ?? error.message})`,
      }),
    );
  });
}
