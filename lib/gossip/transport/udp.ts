/**
 * The real transport: UDP datagrams (node:dgram, udp4 or udp6 by the bind address) for probes and news, and
 * a TCP stream (node:net) on the same port for push-pull, which carries the full state and so may not fit a
 * datagram. One connection per frame: push-pull runs every few seconds, so connection reuse isn't worth its
 * state. Nothing here knows the protocol; bytes arrive sealed and leave sealed.
 *
 * Inbound streams come from anyone who can reach the port, key or not, so each is bounded before it is read:
 * a StreamGate caps how many are open (in all and per source IP; the excess is destroyed on accept), the frame
 * may declare at most maxFrameBytes, and the whole frame must arrive within deadlineMs of the accept (an
 * absolute deadline: a byte every few seconds does not extend it). Refusals are counted through `drop`.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, isIP, type Server, type Socket } from "node:net";
import type { Address } from "../address.ts";
import {
  MAX_INBOUND_STREAMS,
  MAX_INBOUND_STREAMS_PER_HOST,
  MAX_PACKET_BYTES,
  MAX_RELIABLE_FRAME_BYTES,
  RELIABLE_DEADLINE_MS,
} from "../defaults.ts";
import { FrameReader, frame } from "./framing.ts";
import { StreamGate } from "./gate.ts";
import type { Transport, TransportListener } from "./types.ts";

const PORT_RETRIES = 5;

/** The stream bounds, defaulted from ../defaults.ts; tests shrink them to hit them quickly. */
export interface StreamLimits {
  readonly maxFrameBytes: number;
  readonly maxInboundStreams: number;
  readonly maxInboundStreamsPerHost: number;
  readonly deadlineMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxFrameBytes: MAX_RELIABLE_FRAME_BYTES,
  maxInboundStreams: MAX_INBOUND_STREAMS,
  maxInboundStreamsPerHost: MAX_INBOUND_STREAMS_PER_HOST,
  deadlineMs: RELIABLE_DEADLINE_MS,
};

function bindUdp(address: Address): Promise<UdpSocket> {
  const type = isIP(address.host) === 6 ? "udp6" : "udp4";
  const socket = createSocket({ type, ipv6Only: type === "udp6" });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(address.port, address.host, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

function listenTcp(address: Address, server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: address.host, port: address.port, ipv6Only: isIP(address.host) === 6 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** Serves one inbound stream that the gate admitted: one frame, whole, within the deadline, or a counted drop. */
function serveStream(
  stream: Socket,
  limits: StreamLimits,
  listener: () => TransportListener | undefined,
  done: () => void,
): void {
  const reader = new FrameReader(limits.maxFrameBytes);
  const from = { host: stream.remoteAddress ?? "", port: stream.remotePort ?? 0 };
  let settled = false;
  const settle = (reason?: string) => {
    if (settled) return;
    settled = true;
    if (reason) listener()?.drop(reason);
  };
  const deadline = setTimeout(() => {
    settle("frameDeadline");
    stream.destroy();
  }, limits.deadlineMs);
  stream.once("close", () => {
    clearTimeout(deadline);
    done();
  });
  stream.on("error", () => settle("streamError"));
  stream.on("data", (chunk: Buffer) => {
    if (settled) return;
    const verdict = reader.push(new Uint8Array(chunk));
    if (verdict && !verdict.ok) {
      settle(verdict.reason);
      stream.destroy();
    }
  });
  stream.on("end", () => {
    if (settled) return;
    const result = reader.finish();
    settle(result.ok ? undefined : result.reason);
    if (result.ok) listener()?.deliver(from, result.bytes, true);
    stream.end();
  });
}

/** Binds UDP and TCP on `bind` (port 0 picks a free port shared by both). */
export async function openUdpTransport(
  bind: Address,
  streamLimits: Partial<StreamLimits> = {},
): Promise<Transport> {
  const limits: StreamLimits = { ...DEFAULT_STREAM_LIMITS, ...streamLimits };
  let listener: TransportListener | undefined;
  const gate = new StreamGate(limits.maxInboundStreams, limits.maxInboundStreamsPerHost);
  const server = createServer((stream) => {
    const host = stream.remoteAddress ?? "";
    const refusal = gate.admit(host);
    if (refusal) {
      listener?.drop(refusal);
      stream.on("error", () => {});
      stream.destroy();
      return;
    }
    serveStream(
      stream,
      limits,
      () => listener,
      () => gate.release(host),
    );
  });
  let udp: UdpSocket | undefined;
  for (let attempt = 0; ; attempt++) {
    udp = await bindUdp(bind);
    const port = udp.address().port;
    try {
      await listenTcp({ host: bind.host, port }, server);
      break;
    } catch (error) {
      await closeUdp(udp);
      if (bind.port !== 0 || attempt >= PORT_RETRIES) throw error;
    }
  }
  const socket = udp;
  const address = { host: bind.host, port: socket.address().port };
  socket.on("message", (message, remote) => {
    if (message.length > MAX_PACKET_BYTES) return listener?.drop("oversized");
    // No copy: dgram hands each datagram over in a Buffer of its own, and under a flood every copy is garbage.
    listener?.deliver({ host: remote.address, port: remote.port }, message, false);
  });
  socket.on("error", () => listener?.drop("socketError"));
  let closed = false;
  return {
    address,
    listen(next) {
      listener = next;
    },
    sendPacket(to, bytes) {
      if (closed || bytes.length > MAX_PACKET_BYTES) return;
      socket.send(bytes, to.port, to.host, () => {});
    },
    sendReliable(to, bytes) {
      if (closed) return Promise.reject(new Error("gossip transport is closed"));
      if (bytes.length > limits.maxFrameBytes)
        return Promise.reject(
          new Error(
            `push-pull frame of ${bytes.length} bytes is over the ${limits.maxFrameBytes}-byte limit`,
          ),
        );
      return new Promise((resolve, reject) => {
        const stream = connect({ host: to.host, port: to.port });
        // Absolute, like the receiver's: a peer that reads slowly must not keep our socket for ever.
        const deadline = setTimeout(
          () => stream.destroy(new Error("push-pull deadline passed")),
          limits.deadlineMs,
        );
        stream.once("error", reject);
        stream.once("close", (hadError) => {
          clearTimeout(deadline);
          if (!hadError) resolve();
        });
        stream.end(frame(bytes));
        stream.resume();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([closeUdp(socket), new Promise<void>((resolve) => server.close(() => resolve()))]);
    },
  };
}
