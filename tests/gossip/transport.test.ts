/**
 * The transport contract over the in-memory twin and the real UDP+TCP transport (IPv4 on 127.3.0.x and
 * IPv6 on ::1), plus the stream framing refusals only a real socket can produce.
 */
import { expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { createMemoryNetwork, openUdpTransport, type Transport } from "../../lib/gossip/index.ts";
import { waitFor } from "../support/wait.ts";
import { collect, transportSuite } from "./transport-suite.ts";

const network = createMemoryNetwork();
let memoryPort = 7000;
transportSuite("memory", async () => network.open({ host: "127.3.1.1", port: memoryPort++ }));

let v4 = 1;
transportSuite("udp4", () => openUdpTransport({ host: `127.3.0.${v4++}`, port: 0 }));
transportSuite("udp6", () => openUdpTransport({ host: "::1", port: 0 }));

function rawStream(port: number, host: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const stream = connect({ host, port }, () => stream.end(bytes));
    stream.on("close", () => resolve());
    stream.on("error", () => resolve());
    stream.resume();
  });
}

test("udp: a frame declaring more than the limit, and a stream that ends early, are dropped and counted", async () => {
  const transport = await openUdpTransport({ host: "127.3.0.200", port: 0 });
  try {
    const inbox = collect(transport);
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setUint32(0, 50_000_000);
    await rawStream(transport.address.port, transport.address.host, huge);
    const short = new Uint8Array([0, 0, 0, 10, 1, 2]);
    await rawStream(transport.address.port, transport.address.host, short);
    await waitFor("two drops", () => inbox.drops.length >= 2);
    expect(inbox.drops.sort()).toEqual(["frameTooLarge", "truncatedFrame"]);
    expect(inbox.received).toEqual([]);
  } finally {
    await transport.close();
  }
});

/** A raw stream that sends `bytes` and stays open until the test ends it (or the transport cuts it). */
function heldStream(
  port: number,
  host: string,
  bytes: Uint8Array,
  localAddress?: string,
): { socket: Socket; closed: Promise<void> } {
  const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) }, () =>
    socket.write(bytes),
  );
  socket.on("error", () => {});
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  return { socket, closed };
}
type Held = ReturnType<typeof heldStream>;

const declaring = (length: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
};

interface StreamBench {
  readonly transport: Transport;
  readonly inbox: ReturnType<typeof collect>;
  /** `count` streams from `localAddress` that declared a frame and hold it open, once all are connected (accepts
   * are served in order, so the gate has judged them before any later connection). */
  hold(count: number, localAddress?: string): Promise<Held[]>;
  /** One more stream from `localAddress`, resolved when the transport has closed it. */
  closedAtOnce(localAddress?: string): Promise<void>;
}

/** A transport with small stream limits and held streams, all closed when `body` ends. */
async function withStreams(
  bindHost: string,
  limits: Parameters<typeof openUdpTransport>[1],
  body: (bench: StreamBench) => Promise<void>,
): Promise<void> {
  const transport = await openUdpTransport({ host: bindHost, port: 0 }, limits);
  const { host, port } = transport.address;
  const held: Held[] = [];
  const hold = async (count: number, localAddress?: string) => {
    const some = Array.from({ length: count }, () => heldStream(port, host, declaring(100), localAddress));
    held.push(...some);
    await waitFor(`${count} streams connected and sending`, () =>
      some.every((h) => h.socket.bytesWritten > 0),
    );
    return some;
  };
  try {
    const closedAtOnce = (localAddress?: string) => {
      const one = heldStream(port, host, declaring(100), localAddress);
      held.push(one);
      return one.closed;
    };
    await body({ transport, inbox: collect(transport), hold, closedAtOnce });
  } finally {
    for (const h of held) h.socket.destroy();
    await transport.close();
  }
}

test("udp: streams past the cap are destroyed at once and counted; a freed slot serves a real frame", () =>
  withStreams(
    "127.3.0.201",
    { maxInboundStreams: 3, maxInboundStreamsPerHost: 10, deadlineMs: 60_000 },
    async ({ transport, inbox, hold, closedAtOnce }) => {
      const held = await hold(3);
      await closedAtOnce();
      await waitFor("the refusal counted", () => inbox.drops.includes("streamLimit"));
      expect(held.some((h) => h.socket.destroyed)).toBe(false);
      for (const h of held) h.socket.destroy();
      await Promise.all(held.map((h) => h.closed));
      const sender = await openUdpTransport({ host: "127.3.0.202", port: 0 });
      try {
        await waitFor("a slot again", async () => {
          await sender.sendReliable(transport.address, new Uint8Array([9, 9, 9])).catch(() => {});
          return inbox.received.length > 0;
        });
      } finally {
        await sender.close();
      }
      expect([...(inbox.received[0]?.bytes ?? [])]).toEqual([9, 9, 9]);
      // The held streams' ends may count as truncated or errored; nothing else may have been dropped.
      const expected = ["streamLimit", "truncatedFrame", "streamError"];
      expect(inbox.drops.filter((reason) => !expected.includes(reason))).toEqual([]);
    },
  ));

test("udp: one source IP holds at most its share of streams; another IP still gets in", () =>
  withStreams(
    "127.3.0.203",
    { maxInboundStreams: 10, maxInboundStreamsPerHost: 2, deadlineMs: 60_000 },
    async ({ inbox, hold, closedAtOnce }) => {
      await hold(2, "127.3.0.210");
      await closedAtOnce("127.3.0.210");
      await waitFor("the refusal counted", () => inbox.drops.includes("streamLimitHost"));
      const [other] = await hold(1, "127.3.0.211");
      expect(other?.socket.destroyed).toBe(false);
      expect(inbox.drops).toEqual(["streamLimitHost"]);
    },
  ));

test("udp: a frame still incomplete at the deadline is cut, however steadily its bytes trickle", async () => {
  const deadlineMs = 500;
  const transport = await openUdpTransport({ host: "127.3.0.204", port: 0 }, { deadlineMs });
  const { host, port } = transport.address;
  const inbox = collect(transport);
  const trickling = heldStream(port, host, declaring(1_000));
  // A byte every 100 ms: an idle timeout of 500 ms would never fire.
  const trickle = setInterval(() => {
    if (!trickling.socket.destroyed) trickling.socket.write(new Uint8Array([1]));
  }, 100);
  try {
    const started = Date.now();
    await trickling.closed;
    const lastedMs = Date.now() - started;
    await waitFor("the deadline counted", () => inbox.drops.includes("frameDeadline"));
    expect(lastedMs).toBeGreaterThanOrEqual(deadlineMs - 50);
    // Generous: a busy 2-core machine may run the timer late, but never waits for the trickle to end.
    expect(lastedMs).toBeLessThan(deadlineMs + 10_000);
    expect(inbox.received).toEqual([]);
  } finally {
    clearInterval(trickle);
    trickling.socket.destroy();
    await transport.close();
  }
});

test("udp: the frame limit applies to what a stream declares (limit + 1 is refused on the header)", async () => {
  const transport = await openUdpTransport({ host: "127.3.0.205", port: 0 }, { maxFrameBytes: 1_000 });
  try {
    const inbox = collect(transport);
    const { host, port } = transport.address;
    const over = heldStream(port, host, declaring(1_001));
    await over.closed;
    await waitFor("refused", () => inbox.drops.includes("frameTooLarge"));
    const exact = new Uint8Array(4 + 1_000);
    exact.set(declaring(1_000));
    await rawStream(port, host, exact);
    await waitFor("the exact frame delivered", () => inbox.received.length === 1);
    expect(inbox.received[0]?.bytes.length).toBe(1_000);
  } finally {
    await transport.close();
  }
});
