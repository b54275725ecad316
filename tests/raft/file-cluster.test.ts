/**
 * Three Raft nodes on real files (FileStorage in temporary RAFT_DIRs) driven by an asynchronous host
 * loop (handleReady: await save -> send -> apply -> advance): the replicated log survives restarting all three.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createNode,
  createSeededRandom,
  EntryType,
  handleReady,
  type Message,
  type RaftNode,
} from "../../lib/raft/index.ts";
import { FileStorage } from "../../lib/raft/storage/index.ts";

const root = await mkdtemp(join(tmpdir(), "raft-files-"));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const IDS = ["a", "b", "c"];

interface Host {
  node: RaftNode;
  storage: FileStorage;
  applied: string[];
}

async function boot(seed: number): Promise<Map<string, Host>> {
  const hosts = new Map<string, Host>();
  for (const [i, id] of IDS.entries()) {
    const storage = await FileStorage.open({ dir: join(root, id) });
    const node = createNode({
      id,
      peers: IDS,
      storage,
      electionTicks: 10,
      heartbeatTicks: 2,
      random: createSeededRandom(seed + i),
    });
    hosts.set(id, { node, storage, applied: [] });
  }
  return hosts;
}

async function pump(hosts: Map<string, Host>): Promise<void> {
  for (let round = 0; round < 1000; round++) {
    const inbox: Message[] = [];
    let busy = false;
    for (const host of hosts.values()) {
      const handled = await handleReady(host.node, host.storage, {
        send: (messages) => inbox.push(...messages),
        applySnapshot: () => {},
        apply: (entries) => {
          for (const entry of entries) {
            if (entry.type === EntryType.Normal && entry.data.length > 0)
              host.applied.push(new TextDecoder().decode(entry.data));
          }
        },
      });
      busy ||= handled;
    }
    for (const message of inbox) hosts.get(message.to)?.node.step(message);
    if (!busy && inbox.length === 0) return;
  }
  throw new Error("file cluster did not settle");
}

async function leaderOf(hosts: Map<string, Host>): Promise<Host> {
  for (let tick = 0; tick < 200; tick++) {
    const leader = [...hosts.values()].find((host) => host.node.status().role === "leader");
    if (leader !== undefined) return leader;
    for (const host of hosts.values()) host.node.tick();
    await pump(hosts);
  }
  throw new Error("no leader on files");
}

describe("Raft on FileStorage", () => {
  test("restart all three: the log and membership survive and are re-applied", async () => {
    const hosts = await boot(1);
    const leader = await leaderOf(hosts);
    for (let i = 0; i < 25; i++) leader.node.propose(new TextEncoder().encode(`pod-${i}`));
    await pump(hosts);
    for (let tick = 0; tick < 4; tick++) {
      for (const host of hosts.values()) host.node.tick();
      await pump(hosts);
    }
    const expected = Array.from({ length: 25 }, (_, i) => `pod-${i}`);
    for (const host of hosts.values()) expect(host.applied).toEqual(expected);
    // Compact one node so that its restart goes through snapshot + log.
    const a = hosts.get("a");
    if (a === undefined) throw new Error("no a");
    const appliedIndex = a.node.status().applied;
    await a.storage.compact(appliedIndex - 5, a.node.confStateAt(appliedIndex - 5), new Uint8Array());
    for (const host of hosts.values()) await host.storage.close();

    const restarted = await boot(100);
    for (const host of restarted.values()) {
      expect(host.node.status().conf.voters).toEqual(IDS);
    }
    const newLeader = await leaderOf(restarted);
    newLeader.node.propose(new TextEncoder().encode("after-restart"));
    await pump(restarted);
    for (let tick = 0; tick < 4; tick++) {
      for (const host of restarted.values()) host.node.tick();
      await pump(restarted);
    }
    expect(restarted.get("b")?.applied).toEqual([...expected, "after-restart"]);
    expect(restarted.get("a")?.applied).toEqual([...expected.slice(-5), "after-restart"]);
    for (const host of restarted.values()) await host.storage.close();
  });
});
