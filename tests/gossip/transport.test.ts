/**
 * The transport contract over the in-memory twin and the real UDP+TCP transport (IPv4 on 127.3.0.x and
 * IPv6 on ::1), plus the stream framing refusals only a real socket can produce.
 */
import { expect, test } from "bun:test";
import { connect } from "node:net";
import { createMemoryNetwork, openUdpTransport } from "../../lib/gossip/index.ts";
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
