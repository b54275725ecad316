/**
 * The Raft transport of a controller replica, on its own RAFT_PORT listener at POD_IP (not the metrics port: that one
 * may be plain HTTP, and peer traffic wants its own TLS policy).
 * - With a PKI certificate (VAULT_CA_BACKEND): HTTPS with mutual TLS; the server demands a client certificate from the
 *   PKI's CA and clients verify the peer's certificate against it. Both sides follow certificate renewals.
 * - Always: the HMAC of lib/raft/transport (Bun cannot show a handler the client certificate, and a PKI certificate
 *   alone must not make a process a Raft member).
 * - Messages travel over one message stream per direction (lib/raft/transport/stream.ts): this replica dials every
 *   peer in the directory for the messages that peer sends it, and serves its peers' dials for the messages it
 *   sends them. Snapshots, bulk bodies and messages to a peer whose stream is not open (yet) go as POSTs.
 */
import type { CertificateKeeper } from "../controller/index.ts";
import type { Logger } from "../log/index.ts";
import type { RaftRpcRejection } from "../metrics/index.ts";
import type { Message } from "../raft/index.ts";
import {
  createPeerSender,
  createRaftRoutes,
  createStreamDialer,
  createStreamHub,
  createStreamOpen,
  type PeerSender,
  type PeerSenderStats,
  RPC_BODY_LIMITS,
  RPC_TIMEOUT_MS,
  type RpcAuthenticator,
  type StreamOpen,
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
  /** Force serve()'s portable engine (tests run the transport under both). */
  engine?: "auto" | "node";
}

export interface RaftTransportStats extends PeerSenderStats {
  /** Peers whose stream to this replica is open (this replica dialed it and reads frames from it). */
  streamsIn: string[];
}

export interface RaftTransport {
  send(messages: readonly Message[]): void;
  readonly url: string;
  stats(): RaftTransportStats;
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

function streamOpenFor(keeper: CertificateKeeper | undefined): StreamOpen {
  if (keeper === undefined) return createStreamOpen();
  const current = keeper.current();
  return createStreamOpen({
    ...(current.caPem ? { caPem: current.caPem } : {}),
    certPem: current.certPem,
    keyPem: current.keyPem,
  });
}

export async function startRaftTransport(options: RaftTransportOptions): Promise<RaftTransport> {
  const { certificates, log } = options;
  const scheme = certificates ? "https" : "http";
  let lastRejectionLog = Number.NEGATIVE_INFINITY;
  const onRejected = (reason: RaftRpcRejection, detail: string) => {
    options.onRejected(reason);
    const now = performance.now();
    if (now - lastRejectionLog < REJECTION_LOG_INTERVAL_MS) return;
    lastRejectionLog = now;
    log.warn(
      "raft RPC or stream refused (counted in raft_rpc_rejected_total; further refusals are not logged for 10s)",
      { reason, detail },
    );
  };
  let sender: PeerSender | undefined;
  const hub = createStreamHub({
    selfId: options.selfId,
    auth: options.auth,
    onRejected,
    onWritable: (peer) => sender?.wake(peer),
    onLost(peer) {
      options.onUnreachable(peer);
      // Whatever waited for the stream goes by POST until the peer dials again.
      sender?.wake(peer);
    },
  });
  const routes = createRaftRoutes({
    selfId: options.selfId,
    auth: options.auth,
    deliver: options.deliver,
    onRejected,
    streams: hub,
  });
  const server: RunningServer = await serve({
    hostname: options.listen.hostname,
    port: options.listen.port,
    ...(certificates ? { tls: serverTls(certificates) } : {}),
    fetch: (request) => routes.fetch(request),
    maxRequestBodyBytes: MAX_RPC_BODY_BYTES,
    ...(options.engine ? { engine: options.engine } : {}),
  });
  let client = clientFor(certificates);
  let open = streamOpenFor(certificates);
  const peerSender = createPeerSender({
    selfId: options.selfId,
    auth: options.auth,
    resolve: (peer) => {
      const member = options.peers.members().find((m) => m.name === peer);
      return member ? `${scheme}://${member.raftAddress}` : undefined;
    },
    fetch: (input, init) => client.fetch(input, init),
    onUnreachable: options.onUnreachable,
    onSnapshotFailed: options.onSnapshotFailed,
    stream: (peer) => hub.writer(peer),
  });
  sender = peerSender;
  const dialer = createStreamDialer({
    selfId: options.selfId,
    auth: options.auth,
    peers: () =>
      options.peers
        .members()
        .filter((m) => m.name !== options.selfId)
        .map((m) => ({ id: m.name, url: `${scheme}://${m.raftAddress}` })),
    open: (request) => open(request),
    deliver: options.deliver,
    onRejected,
    onUnreachable: options.onUnreachable,
    onOpen: (peer) => log.info("raft stream from peer open", { peer }),
    onClose: (peer, why) => log.info("raft stream from peer closed; dialing again", { peer, why }),
  });
  const unsubscribePeers = options.peers.subscribe(() => dialer.refresh());
  dialer.refresh();
  const unsubscribe = certificates?.onRenew(async () => {
    const previous = client;
    client = clientFor(certificates);
    open = streamOpenFor(certificates);
    // Streams are dialed again with the new certificate, rather than living on under the old one.
    dialer.reconnect();
    // Requests already on the old client finish within their timeout.
    setTimeout(() => previous.close(), RPC_TIMEOUT_MS * 2).unref?.();
    await server.rotateTls(serverTls(certificates));
  });
  return {
    send: (messages) => peerSender.send(messages),
    url: server.url,
    stats: () => ({ ...peerSender.stats(), streamsIn: dialer.connected() }),
    async stop() {
      unsubscribe?.();
      unsubscribePeers();
      dialer.close();
      peerSender.close();
      hub.close();
      client.close();
      await server.stop(true);
    },
  };
}
