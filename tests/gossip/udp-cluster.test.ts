/**
 * Real sockets: members on 127.3.5.x (UDP for probes and news, TCP for push-pull, all sealed with the
 * cluster key) form a cluster; one is stopped without a word and the others declare it failed; a rogue with
 * another key tries to join and never appears anywhere, while its packets are counted as unauthenticated.
 * Also a small cluster over IPv6 loopback.
 */
import { afterAll, describe, expect, test } from "bun:test";
import {
  createKeyring,
  type GossipNode,
  type MemberEvent,
  openUdpTransport,
  startGossipNode,
} from "../../lib/gossip/index.ts";
import { waitFor } from "../support/wait.ts";

const KEY = "udp-cluster-test-key-0123456789abcdefgh";
const ROGUE_KEY = "rogue-key-that-is-long-enough-0123456789";
const started: GossipNode[] = [];

async function member(name: string, host: string, key = KEY): Promise<GossipNode> {
  const transport = await openUdpTransport({ host, port: 0 });
  const node = startGossipNode({ name, transport, keyring: await createKeyring([key]) });
  started.push(node);
  return node;
}

afterAll(async () => {
  await Promise.all(started.map((node) => node.stop()));
});

const statusOf = (observer: GossipNode, name: string) =>
  observer.members().find((m) => m.name === name)?.status;
const alive = (node: GossipNode) =>
  node
    .members()
    .filter((m) => m.status === "alive")
    .map((m) => m.name)
    .sort()
    .join(",");

describe("gossip over real UDP", () => {
  test("4 members form a cluster, a stopped one is declared failed, a rogue with another key never joins", async () => {
    const names = ["m1", "m2", "m3", "m4"];
    const nodes = await Promise.all(names.map((name, i) => member(name, `127.3.5.${i + 1}`)));
    const [seed, , , victim] = nodes as [GossipNode, GossipNode, GossipNode, GossipNode];
    const events: MemberEvent[] = [];
    for (const node of nodes) node.subscribe((event) => events.push(event));
    for (const node of nodes.slice(1)) node.join([seed.address]);
    await waitFor("4 alive everywhere", () => nodes.every((n) => alive(n) === names.join(",")));

    const rogue = await member("rogue", "127.3.5.99", ROGUE_KEY);
    rogue.join(nodes.map((n) => n.address));
    // Its join reaches all four; then it keeps retrying while alone, and every attempt is refused.
    const refused = () => nodes.reduce((sum, n) => sum + n.stats().dropped.unauthenticated, 0);
    await waitFor("the rogue's join and a retry to be refused", () => refused() >= 5);

    await victim.stop();
    const survivors = nodes.slice(0, 3);
    await waitFor("m4 declared dead by the others", () =>
      survivors.every((n) => statusOf(n, "m4") === "dead"),
    );
    const failed = events.filter((e) => e.type === "failed");
    expect(failed.map((e) => e.member.name)).toEqual(["m4", "m4", "m4"]);

    for (const node of survivors) expect(statusOf(node, "rogue")).toBeUndefined();
    expect(alive(rogue)).toBe("rogue");
    expect(events.some((e) => e.member.name === "rogue")).toBe(false);
    expect(rogue.stats().dropped.unauthenticated).toBe(0);
    for (const node of survivors) {
      expect(node.stats().dropped.malformed).toBe(0);
      expect(node.stats().dropped.replayed).toBe(0);
    }
  }, 120_000);

  test("3 members over IPv6 loopback find each other", async () => {
    const nodes = await Promise.all(["v1", "v2", "v3"].map((name) => member(name, "::1")));
    for (const node of nodes.slice(1)) node.join([nodes[0]?.address ?? { host: "::1", port: 1 }]);
    await waitFor("3 alive over IPv6", () => nodes.every((n) => alive(n) === "v1,v2,v3"));
    expect(nodes[1]?.members().find((m) => m.name === "v3")?.address.host).toBe("::1");
  }, 120_000);
});
