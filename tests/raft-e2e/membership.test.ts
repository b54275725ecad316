// Membership follows the PeerDirectory, changed by the leader one server at a time: a new node joins as a learner,
// catches up and is promoted; a node gone from the directory is removed after the grace period; commits go on.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../support/wait.ts";
import { type InProcessCluster, startInProcessCluster } from "./in-process-cluster.ts";

setDefaultTimeout(180_000);

let cluster: InProcessCluster;

beforeAll(async () => {
  cluster = await startInProcessCluster(mkdtempSync(join(tmpdir(), "raft-membership-")), 3, {
    addressPrefix: "127.0.11",
    port: 45693,
    clusterKey: "membership-test-cluster-key-that-is-32-bytes",
    membership: { graceMs: 300 },
    snapshotEvery: 10,
  });
});
afterAll(async () => {
  await cluster?.stop();
});

const propose = async (count: number, tag: string) => {
  const leader = await waitFor("one acting leader", () => cluster.leader());
  await Promise.all(
    Array.from({ length: count }, (_, i) => leader.host.propose(new TextEncoder().encode(`${tag}-${i}`))),
  );
  return leader;
};

test("a new directory member becomes a learner, then a voter holding the whole log (sent as a snapshot)", async () => {
  const before = await propose(20, "before");
  // The leader compacted its log into a snapshot, so the joiner can only catch up through InstallSnapshot. The 20
  // concurrent proposals share a few group-commit entries, so the snapshot (taken by command count) must cover the
  // index they were applied at, not some entry count.
  const covered = before.host.status().applied;
  await waitFor(
    "the leader's log compacted past the entries of the 20 commands",
    () => before.host.node.raft.log.firstIndex() > covered,
  );
  const joiner = await cluster.addMember();
  const leader = await waitFor("the joiner promoted to voter", () => {
    const acting = cluster.leader();
    return acting?.host.status().conf.voters.includes(joiner.id) ? acting : undefined;
  });
  expect(leader.host.status().conf.voters).toHaveLength(4);
  await waitFor("the joiner applied everything", () => joiner.applied.length >= 20);
  expect(joiner.applied.slice(0, 20)).toEqual(leader.applied.slice(0, 20));
});

test("a member gone from the directory is removed after the grace period; commits continue", async () => {
  const leader = await waitFor("one acting leader", () => cluster.leader());
  const gone = cluster.members.find((m) => m !== leader);
  if (gone === undefined) throw new Error("no follower");
  await cluster.removeMember(gone);
  await waitFor("the member removed from the configuration", () => {
    const acting = cluster.leader();
    const conf = acting?.host.status().conf;
    return conf && !conf.voters.includes(gone.id) && !conf.learners.includes(gone.id);
  });
  const after = await propose(10, "after");
  expect(after.host.status().conf.voters).toHaveLength(3);
  await waitFor("every remaining member applied the new entries", () =>
    cluster.members.every((m) => m.applied.filter((e) => e.startsWith("after-")).length === 10),
  );
});
