// The escape hatch of a discovered replica that joined and was never added (lib/main/discovery-coordination.ts):
// it waits, not ready, while anyone advertises a Raft cluster or a lower-named replica could still bootstrap; once
// it is the lowest-named live member and nobody has advertised a cluster for escapeAfterMs, it bootstraps alone,
// leads, and advertises itself. Real FileStorage and Raft listener on loopback; the gossip directory is a stand-in
// so the test decides who is "live".
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadControllerConfig } from "../../lib/config/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { type Coordination, discoveryCoordination } from "../../lib/main/index.ts";
import type { DiscoveringPeerDirectory, PeerMember } from "../../lib/main/static-peers.ts";
import { createControllerMetrics } from "../../lib/metrics/index.ts";
import { MINIMAL_CONTROLLER_ENV } from "../support/controller-env.ts";
import { waitFor } from "../support/wait.ts";

setDefaultTimeout(60_000);

const ADDRESS = "127.0.13.1";
const RAFT_PORT = 45_713;
const ESCAPE_AFTER_MS = 400;
const SELF = "kubernetes-vault-b";

interface StandInDirectory extends DiscoveringPeerDirectory {
  setOthers(others: PeerMember[]): void;
  advertised(): boolean;
}

function standInDirectory(): StandInDirectory {
  const self: PeerMember = { name: SELF, raftAddress: `${ADDRESS}:${RAFT_PORT}` };
  let others: PeerMember[] = [];
  let advertised = false;
  const listeners = new Set<() => void>();
  return {
    self,
    members: () => [{ ...self, ...(advertised ? { raftMember: true } : {}) }, ...others],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    advertiseRaftMember(member) {
      advertised = member;
    },
    listsSelf: () => true,
    setOthers(next) {
      others = next;
      for (const listener of listeners) listener();
    },
    advertised: () => advertised,
  };
}

let running: Coordination | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function waitingReplica(directory: StandInDirectory, lines: string[]): Promise<Coordination> {
  const config = loadControllerConfig({
    ...MINIMAL_CONTROLLER_ENV,
    POD_IP: ADDRESS,
    POD_NAME: SELF,
    RAFT_DIR: mkdtempSync(join(tmpdir(), "discovery-escape-")),
    RAFT_PORT: String(RAFT_PORT),
  });
  const coordination = await discoveryCoordination(
    {
      config,
      log: createLogger("info", {}, (line) => lines.push(line)),
      metrics: createControllerMetrics().metrics,
    },
    directory,
    { timing: { quietMs: 100, escapeAfterMs: ESCAPE_AFTER_MS, waitingWarnEveryMs: 100, pollMs: 20 } },
  );
  running = coordination;
  await coordination.start();
  return coordination;
}

const warnings = (lines: string[]) => lines.filter((line) => line.includes("waiting to be added")).length;
const ready = async (coordination: Coordination) => (await coordination.readiness?.check())?.ok === true;

test("a joiner whose cluster never comes back bootstraps alone after escapeAfterMs, then leads and advertises", async () => {
  const directory = standInDirectory();
  // An existing cluster advertises itself: join it and wait to be added.
  directory.setOthers([{ name: "kubernetes-vault-z", raftAddress: "127.0.13.9:45713", raftMember: true }]);
  const lines: string[] = [];
  const replica = await waitingReplica(directory, lines);
  expect(lines.some((line) => line.includes('"choice":"join"'))).toBe(true);
  // Ten warnings 100 ms apart: the watchdog ran for far longer than escapeAfterMs while a cluster was advertised.
  await waitFor("the replica warned ten times while waiting", () => warnings(lines) >= 10);
  expect(await ready(replica)).toBe(false);
  expect(directory.advertised()).toBe(false);

  // The whole cluster is gone for good (every pod replaced under new names): nobody else can ever add us.
  const quietFrom = performance.now();
  directory.setOthers([]);
  await waitFor(
    "the replica bootstrapped alone and leads",
    async () => (await ready(replica)) && replica.leader.isLeader(),
  );
  expect(performance.now() - quietFrom).toBeGreaterThanOrEqual(ESCAPE_AFTER_MS);
  expect(directory.advertised()).toBe(true);
});

test("a joiner does not escape while a lower-named replica is live, even one not yet in a cluster", async () => {
  const directory = standInDirectory();
  directory.setOthers([{ name: "kubernetes-vault-a", raftAddress: "127.0.13.8:45713" }]);
  const lines: string[] = [];
  const replica = await waitingReplica(directory, lines);
  await waitFor("the replica warned ten times while waiting", () => warnings(lines) >= 10);
  expect(await ready(replica)).toBe(false);
  expect(replica.leader.isLeader()).toBe(false);
  expect(directory.advertised()).toBe(false);
  expect(lines.some((line) => line.includes('"choice":"join"'))).toBe(true);
  expect(lines.some((line) => line.includes("escape refused"))).toBe(false);
});
