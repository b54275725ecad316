/**
 * The host shell over the in-memory twin: a cluster forms and publishes events, and hostile input (wrong key,
 * tampered, truncated, replayed, malformed-but-sealed) is dropped and counted while the member keeps working.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  type Address,
  createKeyring,
  createMemoryNetwork,
  DEFAULT_LABEL,
  encodePacket,
  type GossipNode,
  type MemberEvent,
  sealEnvelope,
  startGossipNode,
  totalDropped,
} from "../../lib/gossip/index.ts";
import { createSeededRandom } from "../../lib/raft/index.ts";
import { waitFor } from "../support/wait.ts";
import { collect } from "./transport-suite.ts";

const KEY = "cluster-key-for-tests-0123456789abcdef";
/** Real timers on a busy 2-core CI machine: room well beyond the few hundred ms these take. */
const TEST_TIMEOUT_MS = 60_000;
const network = createMemoryNetwork();
const started: GossipNode[] = [];
let nextHost = 1;

async function member(name: string, key = KEY): Promise<GossipNode> {
  const transport = network.open({ host: `127.3.4.${nextHost++}`, port: 45678 });
  const node = startGossipNode({
    name,
    transport,
    keyring: await createKeyring([key]),
    random: createSeededRandom(nextHost),
    meta: { raft: `${transport.address.host}:45679` },
  });
  started.push(node);
  return node;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((node) => node.stop()));
});

const aliveNames = (node: GossipNode) =>
  node
    .members()
    .filter((m) => m.status === "alive")
    .map((m) => m.name)
    .sort();

describe("host over the in-memory transport", () => {
  test(
    "members join through one seed, publish joined events and share metadata",
    async () => {
      const nodes = [await member("a"), await member("b"), await member("c")];
      const events: MemberEvent[] = [];
      nodes[0]?.subscribe((event) => events.push(event));
      for (const node of nodes.slice(1)) node.join([nodes[0]?.address as Address]);
      await waitFor("3 alive everywhere", () => nodes.every((n) => aliveNames(n).join() === "a,b,c"));
      expect(
        events
          .filter((e) => e.type === "joined")
          .map((e) => e.member.name)
          .sort(),
      ).toEqual(["b", "c"]);
      expect(nodes[2]?.members().find((m) => m.name === "a")?.meta.raft).toBe(
        `${nodes[0]?.address.host}:45679`,
      );
      expect(totalDropped(nodes[0]?.stats() ?? ({} as never))).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a graceful leave is seen as left",
    async () => {
      const nodes = [await member("d"), await member("e"), await member("f")];
      for (const node of nodes.slice(1)) node.join([nodes[0]?.address as Address]);
      await waitFor("formed", () => nodes.every((n) => aliveNames(n).length === 3));
      await nodes[2]?.leave();
      await waitFor("f left", () =>
        nodes.slice(0, 2).every((n) => n.members().find((m) => m.name === "f")?.status === "left"),
      );
    },
    TEST_TIMEOUT_MS,
  );

  test("a tick period that would look like a process pause is refused at start", async () => {
    const transport = network.open({ host: "127.3.4.240", port: 45678 });
    const keyring = await createKeyring([KEY]);
    expect(() => startGossipNode({ name: "slow", transport, keyring, tickMs: 150 })).toThrow("tickMs");
    await transport.close();
  });

  test(
    "hostile packets are dropped and counted by reason; the member keeps answering",
    async () => {
      const target = await member("victim");
      const attacker = network.open({ host: "127.3.4.250", port: 45678 });
      const inbox = collect(attacker);
      const ping = encodePacket([
        { type: "ping", seq: 1, target: "victim", source: { name: "x", address: attacker.address } },
      ]);
      const goodRing = await createKeyring([KEY]);
      const valid = await sealEnvelope(goodRing, DEFAULT_LABEL, ping, Date.now());
      const wrongKey = await sealEnvelope(
        await createKeyring(["z".repeat(40)]),
        DEFAULT_LABEL,
        ping,
        Date.now(),
      );
      const wrongLabel = await sealEnvelope(goodRing, "another-cluster", ping, Date.now());
      const tampered = valid.slice();
      tampered[20] = (tampered[20] ?? 0) ^ 0xff;
      const garbage = await sealEnvelope(goodRing, DEFAULT_LABEL, new Uint8Array([3, 123, 125]), Date.now());
      const old = await sealEnvelope(goodRing, DEFAULT_LABEL, ping, Date.now() - 10 * 60_000);

      attacker.sendPacket(target.address, valid);
      await waitFor("ack to the valid ping", () => inbox.received.length === 1);
      for (const bytes of [
        valid,
        wrongKey,
        wrongLabel,
        tampered,
        valid.subarray(0, 10),
        garbage,
        old,
        new Uint8Array(),
      ]) {
        attacker.sendPacket(target.address, bytes);
      }
      await waitFor("all counted", () => totalDropped(target.stats()) === 8);
      expect(target.stats().dropped).toMatchObject({
        replayed: 1,
        unauthenticated: 3,
        truncated: 2,
        malformed: 1,
        stale: 1,
      });
      expect(inbox.received.length).toBe(1);
      const again = await sealEnvelope(goodRing, DEFAULT_LABEL, ping, Date.now());
      attacker.sendPacket(target.address, again);
      await waitFor("still answering", () => inbox.received.length === 2);
      await attacker.close();
    },
    TEST_TIMEOUT_MS,
  );
});
