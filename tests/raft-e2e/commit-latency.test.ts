// The bench's commit-latency helper measures what it says: every proposal resolves, and the figures are positive
// and ordered (timing goals belong to the bench, not here).
import { expect, setDefaultTimeout, test } from "bun:test";
import { measureCommitLatency } from "./commit-latency.ts";

setDefaultTimeout(180_000);

test("commit latency over 3 loopback nodes: p50 <= p99, a positive rate", async () => {
  const figures = await measureCommitLatency({
    entries: 300,
    concurrency: 8,
    addressPrefix: "127.0.10",
    port: 45692,
  });
  console.log(JSON.stringify(figures));
  expect(figures.entries).toBe(300);
  expect(figures.p50Ms).toBeGreaterThan(0);
  expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);
  expect(figures.entriesPerSecond).toBeGreaterThan(0);
});
