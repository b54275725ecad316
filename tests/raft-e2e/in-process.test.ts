// Three RaftHosts over the real HTTP transport with FileStorage: one acting leader, proposals resolve once applied
// everywhere in the same order, a follower refuses proposals.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProposalRefusedError } from "../../lib/raft/host/index.ts";
import { waitFor } from "../support/wait.ts";
import { type InProcessCluster, startInProcessCluster } from "./in-process-cluster.ts";

setDefaultTimeout(180_000);

let cluster: InProcessCluster;

beforeAll(async () => {
  cluster = await startInProcessCluster(mkdtempSync(join(tmpdir(), "raft-inproc-")), 3, {
    addressPrefix: "127.0.8",
    port: 45690,
    clusterKey: "an-in-process-test-cluster-key-of-32-bytes",
  });
});
afterAll(async () => {
  await cluster?.stop();
});

test("exactly one acting leader; its proposals apply on every member in the same order", async () => {
  const leader = await waitFor("one acting leader", () => cluster.leader());
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => leader.host.propose(new TextEncoder().encode(`entry-${i}`))),
  );
  expect(new Set(results).size).toBe(50);
  await waitFor("every member applied 50 entries", () =>
    cluster.members.every((m) => m.applied.length >= 50),
  );
  for (const member of cluster.members) expect(member.applied).toEqual(leader.applied);
  const follower = cluster.members.find((m) => m !== leader);
  expect(follower).toBeDefined();
  await expect(follower?.host.propose(new TextEncoder().encode("nope"))).rejects.toBeInstanceOf(
    ProposalRefusedError,
  );
  expect(cluster.members.filter((m) => m.host.isActing())).toHaveLength(1);
  for (const member of cluster.members) expect(member.rejected).toEqual([]);
});
