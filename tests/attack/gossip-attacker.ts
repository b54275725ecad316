/**
 * The unauthenticated attacker of issue 12, as its own process (so its load never slows the test's in-process
 * sandbox): it holds no CLUSTER_KEY and talks only to one loopback gossip address of the test's own controller.
 *
 *   bun tests/attack/gossip-attacker.ts tcp <host:port> <sources> <connections> <frameBytes> <durationMs>
 *     keeps `connections` streams open (reconnecting any the target closes), each sending a frame header that
 *     declares `frameBytes`, then all but a few bytes of it, then one byte every TRICKLE_MS: the frame is never
 *     complete, and an idle timeout never fires.
 *   bun tests/attack/gossip-attacker.ts udp <host:port> <sources> <maxPackets> <durationMs>
 *     sends garbage datagrams of the largest size with envelope version 1 (so each one costs the target an AES-GCM
 *     open), as fast as the socket takes them.
 *
 * `sources` is a comma-separated list of 127.x addresses to send from. Both modes stop by themselves at `durationMs`
 * (at most MAX_DURATION_MS) or at their count bound, and print one JSON line of what they did.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket } from "node:net";

const MAX_DURATION_MS = 120_000;
const MAX_CONNECTIONS = 1_000;
/** Connection attempts over the whole run: reconnects are bounded too. */
const MAX_CONNECTS = 100_000;
const MAX_PACKETS = 20_000_000;
const TRICKLE_MS = 3_000;
const RECONNECT_DELAY_MS = 500;
const CHUNK_BYTES = 64 * 1024;
const UDP_PACKET_BYTES = 1_232;
/** Datagrams handed to the socket before yielding to the event loop, so send callbacks (and memory) drain. */
const UDP_BURST = 256;

function parseTarget(text: string): { host: string; port: number } {
  const [host, port] = text.split(":");
  if (!host?.startsWith("127.") || !port) throw new Error(`attacker: target ${text} is not a 127.x address`);
  return { host, port: Number(port) };
}

function parseSources(text: string): string[] {
  const sources = text.split(",").filter((s) => s !== "");
  if (sources.length === 0 || sources.some((s) => !s.startsWith("127.")))
    throw new Error(`attacker: sources ${text} must be 127.x addresses`);
  return sources;
}

function boundedNumber(text: string | undefined, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`attacker: ${text} is not a positive integer`);
  return Math.min(value, max);
}

async function tcpAttack(argv: string[]): Promise<Record<string, number>> {
  const target = parseTarget(argv[0] ?? "");
  const sources = parseSources(argv[1] ?? "");
  const connections = boundedNumber(argv[2], MAX_CONNECTIONS);
  const frameBytes = boundedNumber(argv[3], 64 * 1024 * 1024);
  const durationMs = boundedNumber(argv[4], MAX_DURATION_MS);
  const until = Date.now() + durationMs;
  // Hold back more bytes than can trickle in the run, so no frame ever completes.
  const heldBack = Math.ceil(durationMs / TRICKLE_MS) + 2;
  const body = new Uint8Array(Math.max(0, frameBytes - heldBack)).fill(0x55);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, frameBytes);
  const stats = { connects: 0, closedByTarget: 0, bytesSent: 0, maxOpen: 0 };
  const open = new Set<Socket>();

  const writeAll = async (socket: Socket, bytes: Uint8Array) => {
    for (let offset = 0; offset < bytes.length && !socket.destroyed; offset += CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, offset + CHUNK_BYTES);
      stats.bytesSent += chunk.length;
      if (!socket.write(chunk))
        await new Promise<void>((resolve) => {
          socket.once("drain", resolve);
          socket.once("close", resolve);
        });
    }
  };

  const openOne = (slot: number) => {
    if (Date.now() >= until || stats.connects >= MAX_CONNECTS) return;
    stats.connects++;
    const socket = connect({ ...target, localAddress: sources[slot % sources.length] });
    open.add(socket);
    stats.maxOpen = Math.max(stats.maxOpen, open.size);
    let trickle: ReturnType<typeof setInterval> | undefined;
    socket.on("error", () => {});
    socket.resume();
    socket.once("connect", async () => {
      await writeAll(socket, header);
      await writeAll(socket, body);
      trickle = setInterval(() => {
        if (!socket.destroyed) socket.write(new Uint8Array([0x55]));
      }, TRICKLE_MS);
    });
    socket.once("close", () => {
      clearInterval(trickle);
      open.delete(socket);
      if (Date.now() >= until) return;
      stats.closedByTarget++;
      // Back off a little so a refused connection is not retried in a tight loop (which would starve the
      // machine's two cores, not test memory): 400 slots still reconnect about 800 times a second.
      setTimeout(() => openOne(slot), RECONNECT_DELAY_MS);
    });
  };

  for (let slot = 0; slot < connections; slot++) openOne(slot);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  for (const socket of open) socket.destroy();
  return stats;
}

function bindUdp(host: string): Promise<UdpSocket> {
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, host, () => resolve(socket));
  });
}

async function udpAttack(argv: string[]): Promise<Record<string, number>> {
  const target = parseTarget(argv[0] ?? "");
  const sources = parseSources(argv[1] ?? "");
  const maxPackets = boundedNumber(argv[2], MAX_PACKETS);
  const durationMs = boundedNumber(argv[3], MAX_DURATION_MS);
  const until = Date.now() + durationMs;
  const sockets = await Promise.all(sources.map(bindUdp));
  const packet = crypto.getRandomValues(new Uint8Array(UDP_PACKET_BYTES));
  packet[0] = 1;
  const stats = { sent: 0, sendErrors: 0 };
  let inFlight = 0;
  while (Date.now() < until && stats.sent < maxPackets) {
    for (let i = 0; i < UDP_BURST && stats.sent < maxPackets; i++) {
      // A fresh nonce each time, so nothing could tell the packets apart without trying the key.
      crypto.getRandomValues(packet.subarray(1, 13));
      const socket = sockets[stats.sent % sockets.length];
      if (!socket) break;
      inFlight++;
      socket.send(packet, target.port, target.host, (error) => {
        inFlight--;
        if (error) stats.sendErrors++;
      });
      stats.sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
    while (inFlight > UDP_BURST * 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  return stats;
}

const [mode, ...rest] = process.argv.slice(2);
const run = mode === "tcp" ? tcpAttack : mode === "udp" ? udpAttack : undefined;
if (!run) {
  console.error("usage: gossip-attacker.ts tcp|udp <host:port> <sources> ...");
  process.exit(2);
}
const started = Date.now();
console.log(JSON.stringify({ attacker: mode, started: true }));
const stats = await run(rest);
console.log(JSON.stringify({ attacker: mode, done: true, ms: Date.now() - started, ...stats }));
process.exit(0);
