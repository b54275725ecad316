// A whole cluster stopped and started again from its RAFT_DIRs rebuilds the state machine from the snapshot plus
// the committed log after it, on every member, and goes on committing.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../support/wait.ts";
import { startInProcessCluster } from "./in-process-cluster.ts";

setDefaultTimeout(180_000);

const OPTIONS = {
  addressPrefix: "127.0.12",
  port: 45694,
  clusterKey: "restart-test-cluster-key-that-is-32-bytes!",
  snapshotEvery: 10,
};

test("restart from disk: snapshot + log replay restore every member, then commits continue", async () => {
  const dir = mkdtempSync(join(tmpdir(), "raft-restart-"));
  const first = await startInProcessCluster(dir, 3, OPTIONS);
  let expected: string[] = [];
  try {
    const leader = await waitFor("one acting leader", () => first.leader());
    for (let i = 0; i < 25; i++) await leader.host.propose(new TextEncoder().encode(`entry-${i}`));
    expect(leader.host.node.raft.log.firstIndex()).toBeGreaterThan(10);
    expected = [...leader.applied];
    await waitFor("followers applied everything", () => first.members.every((m) => m.applied.length === 25));
  } finally {
    await first.stop();
  }
  const second = await startInProcessCluster(dir, 3, OPTIONS);
  try {
    const leader = await waitFor("one acting leader after the restart", () => second.leader());
    await leader.host.propose(new TextEncoder().encode("after-restart"));
    await waitFor("every member restored and applied the new entry", () =>
      second.members.every((m) => m.applied.length === 26),
    );
    for (const member of second.members) expect(member.applied).toEqual([...expected, "after-restart"]);
  } finally {
    await second.stop();
  }
});
