/**
 * Golden transcripts: every message of a few deterministic scenarios, rendered one per line and
 * compared with tests/raft/testdata/*.txt. A behaviour change shows up as a readable diff.
 * Regenerate after an intended change with: REWRITE=1 bun test tests/raft/transcript.test.ts
 */
import { describe, expect, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Message, messageTypeName } from "../../lib/raft/index.ts";
import { clusterLedBy, newCluster, recordMessages, warmUp } from "./helpers.ts";
import type { SimCluster } from "./sim/index.ts";

function render(message: Message): string {
  const fields = [`${message.from}->${message.to}`, messageTypeName(message.type), `term=${message.term}`];
  if (message.index !== 0 || message.logTerm !== 0)
    fields.push(`index=${message.index}`, `logTerm=${message.logTerm}`);
  if (message.entries.length > 0)
    fields.push(`entries=[${message.entries.map((e) => `${e.index}:${e.term}`).join(",")}]`);
  if (message.commit !== 0) fields.push(`commit=${message.commit}`);
  if (message.reject) fields.push(`reject hint=${message.rejectHint}`);
  if (message.snapshot !== undefined)
    fields.push(`snapshot=${message.snapshot.metadata.index}:${message.snapshot.metadata.term}`);
  return fields.join(" ");
}

function roles(cluster: SimCluster): string {
  return cluster
    .ids()
    .map((id) => {
      const status = cluster.get(id).node?.status();
      return status === undefined
        ? `${id}:down`
        : `${id}:${status.role}@${status.term} commit=${status.commit}`;
    })
    .join(" ");
}

async function matchesGolden(name: string, lines: readonly string[]): Promise<void> {
  const path = join(import.meta.dir, "testdata", `${name}.txt`);
  const text = `${lines.join("\n")}\n`;
  if (process.env.REWRITE === "1") await writeFile(path, text);
  expect(text).toBe(await readFile(path, "utf8"));
}

function transcript(cluster: SimCluster, act: () => void): string[] {
  const messages = recordMessages(cluster);
  const lines: string[] = [];
  act();
  lines.push(...messages.map(render), `# ${roles(cluster)}`);
  return lines;
}

describe("golden transcripts", () => {
  test("election: pre-vote, vote, no-op append, commit", async () => {
    const cluster = newCluster(["a", "b", "c"]);
    warmUp(cluster);
    await matchesGolden(
      "election",
      transcript(cluster, () => cluster.campaign("a")),
    );
  });

  test("replication of a proposal and heartbeat commit propagation", async () => {
    const cluster = clusterLedBy("a");
    await matchesGolden(
      "replication",
      transcript(cluster, () => {
        cluster.propose("a", "x");
        cluster.ticks(2);
      }),
    );
  });

  test("leadership transfer with TimeoutNow", async () => {
    const cluster = clusterLedBy("a");
    await matchesGolden(
      "transfer",
      transcript(cluster, () => {
        cluster.node("a").transferLeadership("b");
        cluster.stabilize();
      }),
    );
  });

  test("fast back-off and snapshot catch-up of a lagging follower", async () => {
    const cluster = clusterLedBy("a", ["a", "b", "c"], { compactAfter: 3 });
    cluster.network.isolate("c", cluster.ids());
    for (let i = 0; i < 8; i++) cluster.propose("a", `v${i}`);
    cluster.network.heal();
    await matchesGolden(
      "catch-up",
      transcript(cluster, () => cluster.ticks(2)),
    );
  });
});
