/**
 * One contract suite for every Transport (in-memory twin, UDP over IPv4, UDP over IPv6), as Hono runs one
 * router suite over all its routers: if the twin passes and the real one passes, host tests on the twin mean
 * something.
 */
import { afterEach, expect, test } from "bun:test";
import { type Address, defaults, type Transport, type TransportListener } from "../../lib/gossip/index.ts";
import { waitFor } from "../support/wait.ts";

export interface Received {
  readonly from: Address;
  readonly bytes: Uint8Array;
  readonly reliable: boolean;
}

export function collect(transport: Transport): { received: Received[]; drops: string[] } {
  const received: Received[] = [];
  const drops: string[] = [];
  const listener: TransportListener = {
    deliver: (from, bytes, reliable) => received.push({ from, bytes, reliable }),
    drop: (reason) => drops.push(reason),
  };
  transport.listen(listener);
  return { received, drops };
}

export function transportSuite(name: string, open: () => Promise<Transport>): void {
  const opened: Transport[] = [];
  const openOne = async () => {
    const transport = await open();
    opened.push(transport);
    return transport;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((transport) => transport.close()));
  });

  test(`${name}: a packet arrives whole, from the sender's address`, async () => {
    const [a, b] = [await openOne(), await openOne()];
    const inbox = collect(b);
    a.sendPacket(b.address, new Uint8Array([1, 2, 3]));
    const got = await waitFor("packet", () => inbox.received[0]);
    expect([...got.bytes]).toEqual([1, 2, 3]);
    expect(got.reliable).toBe(false);
    expect(got.from).toEqual(a.address);
  });

  test(`${name}: an oversized packet is never sent`, async () => {
    const [a, b] = [await openOne(), await openOne()];
    const inbox = collect(b);
    a.sendPacket(b.address, new Uint8Array(5_000));
    a.sendPacket(b.address, new Uint8Array([7]));
    await waitFor("small packet", () => inbox.received.length > 0);
    expect(inbox.received.map((r) => r.bytes.length)).toEqual([1]);
  });

  test(`${name}: a reliable frame of the largest allowed size, far larger than a datagram, arrives whole`, async () => {
    const [a, b] = [await openOne(), await openOne()];
    const inbox = collect(b);
    const big = new Uint8Array(defaults.MAX_RELIABLE_FRAME_BYTES).map((_, i) => i % 251);
    await a.sendReliable(b.address, big);
    const got = await waitFor("frame", () => inbox.received[0]);
    expect(got.reliable).toBe(true);
    expect(got.bytes).toEqual(big);
  });

  test(`${name}: a reliable frame over the limit is refused by the sender`, async () => {
    const [a, b] = [await openOne(), await openOne()];
    const inbox = collect(b);
    const tooBig = new Uint8Array(defaults.MAX_RELIABLE_FRAME_BYTES + 1);
    await expect(a.sendReliable(b.address, tooBig)).rejects.toThrow();
    expect(inbox.received).toEqual([]);
  });

  test(`${name}: a reliable send to a closed peer rejects; a packet to it does not throw`, async () => {
    const [a, b] = [await openOne(), await openOne()];
    const gone = b.address;
    await b.close();
    expect(() => a.sendPacket(gone, new Uint8Array([1]))).not.toThrow();
    await expect(a.sendReliable(gone, new Uint8Array([1]))).rejects.toThrow();
  });

  test(`${name}: a closed transport refuses to send reliably`, async () => {
    const [a, b] = [await openOne(), await openOne()];
    await a.close();
    await expect(a.sendReliable(b.address, new Uint8Array([1]))).rejects.toThrow();
  });
}
