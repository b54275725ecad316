/**
 * The real transport: UDP datagrams (node:dgram, udp4 or udp6 by the bind address) for probes and news, and
 * a TCP stream (node:net) on the same port for push-pull, which carries the full state and so may not fit a
 * datagram. One connection per frame: push-pull runs every few seconds, so connection reuse isn't worth its
 * state. Nothing here knows the protocol; bytes arrive sealed and leave sealed.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, isIP, type Server } from "node:net";
import type { Address } from "../address.ts";
import { MAX_PACKET_BYTES, MAX_RELIABLE_FRAME_BYTES, RELIABLE_TIMEOUT_MS } from "../defaults.ts";
import { FrameReader, frame } from "./framing.ts";
import type { Transport, TransportListener } from "./types.ts";

const PORT_RETRIES = 5;

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

/** Binds UDP and TCP on `bind` (port 0 picks a free port shared by both). */
export async function openUdpTransport(bind: Address): Promise<Transport> {
  let listener: TransportListener | undefined;
  const server = createServer((stream) => {
    const reader = new FrameReader(MAX_RELIABLE_FRAME_BYTES);
    const from = { host: stream.remoteAddress ?? "", port: stream.remotePort ?? 0 };
    stream.setTimeout(RELIABLE_TIMEOUT_MS, () => stream.destroy());
    stream.on("error", () => listener?.drop("streamError"));
    let refused = false;
    stream.on("data", (chunk: Buffer) => {
      const verdict = refused ? undefined : reader.push(new Uint8Array(chunk));
      if (verdict && !verdict.ok) {
        refused = true;
        listener?.drop(verdict.reason);
        stream.destroy();
      }
    });
    stream.on("end", () => {
      if (refused) return;
      const result = reader.finish();
      if (result.ok) listener?.deliver(from, result.bytes, true);
      else listener?.drop(result.reason);
      stream.end();
    });
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
    listener?.deliver({ host: remote.address, port: remote.port }, new Uint8Array(message), false);
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
      return new Promise((resolve, reject) => {
        const stream = connect({ host: to.host, port: to.port });
        stream.setTimeout(RELIABLE_TIMEOUT_MS, () => stream.destroy(new Error("push-pull timed out")));
        stream.once("error", reject);
        stream.once("close", (hadError) => {
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
