/**
 * raft: commit latency (propose -> committed on the leader) p50/p99 and entries per second, 3 nodes over the real
 * Raft transport on loopback (issue 5). lib/raft has the core and file storage but no network transport yet, so
 * this section reports null until it lands; the check below names what it waits for.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Section, unmeasured } from "./types.ts";

/** Where issue 5's transport is expected; when it exists, fill `run` in with a 3-node loopback cluster. */
const TRANSPORT_DIR = "lib/raft/transport";

export const raftSection: Section<"raft"> = {
  key: "raft",
  name: "raft",
  goal: "— (reported; failover carries the goal)",
  anchor: "etcd commits in ~1-2 ms on a LAN with fsync on SSD",
  async run(context) {
    if (!existsSync(join(context.root, TRANSPORT_DIR)))
      return unmeasured(
        `lib/raft has no network transport yet (${TRANSPORT_DIR}: Raft RPC over HTTP(S), issue 5); commit latency is measured over it, 3 nodes on loopback`,
      );
    return unmeasured(
      `${TRANSPORT_DIR} exists but bench/sections/raft.ts does not drive it yet: wire a 3-node loopback cluster here`,
    );
  },
};
