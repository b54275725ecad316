/**
 * The Raft transport of a controller replica, on its own RAFT_PORT listener at POD_IP (not the metrics port: that one
 * may be plain HTTP, and peer traffic wants its own TLS policy).
 * - With a PKI certificate (VAULT_CA_BACKEND): HTTPS with mutual TLS; the server demands a client certificate from the
 *   PKI's CA and clients verify the peer's certificate against it. Both sides follow certificate renewals.
 * - Always: the HMAC of lib/raft/transport (Bun cannot show a handler the client certificate, and a PKI certificate
 *   alone must not make a process a Raft member).
 */
import type { CertificateKeeper } from "../controller/index.ts";
import type { Logger } from "../log/index.ts";
import type { RaftRpcRejection } from "../metrics/index.ts";
import type { Message } from "../raft/index.ts";
import {
  createPeerSender,
  createRaftRoutes,
  type PeerSender,
  RPC_BODY_LIMITS,
  RPC_TIMEOUT_MS,
  type RpcAuthenticator,
} from "../raft/transport/index.ts";
import {
  createHttpClient,
  type HttpClient,
  type RunningServer,
  type ServerTls,
  serve,
} from "../runtime/index.ts";
import type { PeerDirectory } from "./static-peers.ts";

/**
 * The engine's own cap is the largest body any kind may have (a bulk snapshot); the routes hold each kind to its
 * limit from the signed headers, before reading (lib/raft/transport/limits.ts).
 */
const MAX_RPC_BODY_BYTES = RPC_BODY_LIMITS.bulk;
/** Rejections are logged at most this often (they are counted every time). */
const REJECTION_LOG_INTERVAL_MS = 10_000;

export interface RaftTransportOptions {
  selfId: string;
  listen: { hostname: string; port: number };
  peers: PeerDirectory;
  auth: RpcAuthenticator;
  certificates?: CertificateKeeper;
  log: Logger;
  deliver(messages: readonly Message[]): void;
  onUnreachable(peer: string): void;
  onSnapshotFailed(peer: string): void;
  onRejected(reason: RaftRpcRejection): void;
}

export interface RaftTransport {
  send(messages: readonly Message[]): void;
  readonly url: string;
  stop(): Promise<void>;
}

function serverTls(keeper: CertificateKeeper): ServerTls {
  const current = keeper.current();
  return {
    certPem: current.certPem,
    keyPem: current.keyPem,
    ...(current.caPem ? { clientCaPem: current.caPem } : {}),
    requireClientCert: true,
  };
}

function clientFor(keeper: CertificateKeeper | undefined): HttpClient {
  if (keeper === undefined) return createHttpClient({ timeoutMs: RPC_TIMEOUT_MS });
  const current = keeper.current();
  return createHttpClient({
    trust: current.caPem ? { kind: "ca", caPem: current.caPem } : { kind: "system" },
    clientCertPem: current.certPem,
    clientKeyPem: current.keyPem,
    timeoutMs: RPC_TIMEOUT_MS,
  });
}

export async function startRaftTransport(options: RaftTransportOptions): Promise<RaftTransport> {
  const { certificates, log } = options;
  const scheme = certificates ? "https" : "http";
  let lastRejectionLog = Number.NEGATIVE_INFINITY;
  const routes = createRaftRoutes({
    selfId: options.selfId,
    auth: options.auth,
    deliver: options.deliver,
    onRejected(reason, detail) {
      options.onRejected(reason);
      const now = performance.now();
      if (now - lastRejectionLog < REJECTION_LOG_INTERVAL_MS) return;
      lastRejectionLog = now;
      log.warn(
        "raft RPC refused (counted in raft_rpc_rejected_total; further refusals are not logged for 10s)",
        {
          reason,
          detail,
        },
      );
    },
  });
  const server: RunningServer = await serve({
    hostname: options.listen.hostname,
    port: options.listen.port,
    ...(certificates ? { tls: serverTls(certificates) } : {}),
    fetch: (request) => routes.fetch(request),
    maxRequestBodyBytes: MAX_RPC_BODY_BYTES,
  });
  let client = clientFor(certificates);
  const sender: PeerSender = createPeerSender({
    selfId: options.selfId,
    auth: options.auth,
    resolve: (peer) => {
      const member = options.peers.members().find((m) => m.name === peer);
      return member ? `${scheme}://${member.raftAddress}` : undefined;
    },
    fetch: (input, init) => client.fetch(input, init),
    onUnreachable: options.onUnreachable,
    onSnapshotFailed: options.onSnapshotFailed,
  });
  const unsubscribe = certificates?.onRenew(async () => {
    const previous = client;
    client = clientFor(certificates);
    // Requests already on the old client finish within their timeout.
    setTimeout(() => previous.close(), RPC_TIMEOUT_MS * 2).unref?.();
    await server.rotateTls(serverTls(certificates));
  });
  return {
    send: (messages) => sender.send(messages),
    url: server.url,
    async stop() {
      unsubscribe?.();
      sender.close();
      client.close();
      await server.stop(true);
    },
  };
}
