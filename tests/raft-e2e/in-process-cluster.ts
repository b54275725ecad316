/**
 * N RaftHosts in this process, each with its own FileStorage directory and its own real HTTP transport on a
 * loopback address (127.0.8.<n>), driving a tiny key-count state machine. For transport/host tests and the commit
 * latency figure; the controller processes are tested separately with the compiled binary.
 */
import { join } from "node:path";
import { createLogger } from "../../lib/log/index.ts";
import { type RaftTransport, startRaftTransport } from "../../lib/main/raft-transport.ts";
import type { PeerDirectory } from "../../lib/main/static-peers.ts";
import { createRaftHost, type RaftHost } from "../../lib/raft/host/index.ts";
import { createSeededRandom, FileStorage } from "../../lib/raft/index.ts";
import { createRpcAuthenticator } from "../../lib/raft/transport/index.ts";

export interface Member {
  id: string;
  host: RaftHost<number>;
  /** Entries applied, in order. */
  applied: string[];
  transport: RaftTransport;
  rejected: string[];
}

export interface InProcessCluster {
  members: Member[];
  leader(): Member | undefined;
  stop(): Promise<void>;
}

export async function startInProcessCluster(
  dir: string,
  count: number,
  options: { addressPrefix: string; port: number; clusterKey: string },
): Promise<InProcessCluster> {
  const ids = Array.from({ length: count }, (_, i) => `node-${i}`);
  const directory = (self: number): PeerDirectory => {
    const all = ids.map((name, i) => ({
      name,
      raftAddress: `${options.addressPrefix}.${i + 1}:${options.port}`,
    }));
    return {
      self: all[self] ?? { name: "", raftAddress: "" },
      members: () => all,
      subscribe: () => () => {},
    };
  };
  const log = createLogger("warn", { component: "raft-test" });
  const members: Member[] = [];
  for (const [i, id] of ids.entries()) {
    const storage = await FileStorage.open({ dir: join(dir, id) });
    const applied: string[] = [];
    const rejected: string[] = [];
    let transport: RaftTransport | undefined;
    const host = createRaftHost<number>({
      id,
      initialVoters: ids,
      storage,
      stateMachine: {
        apply(data) {
          applied.push(new TextDecoder().decode(data));
          return applied.length;
        },
        snapshot: () => new TextEncoder().encode(JSON.stringify(applied)),
        restore(data) {
          applied.length = 0;
          if (data.length > 0) applied.push(...(JSON.parse(new TextDecoder().decode(data)) as string[]));
        },
      },
      send: (messages) => transport?.send(messages),
      random: createSeededRandom(1000 + i),
      log,
      now: () => performance.now(),
    });
    const auth = await createRpcAuthenticator({ clusterKey: options.clusterKey, now: () => Date.now() });
    transport = await startRaftTransport({
      selfId: id,
      listen: { hostname: `${options.addressPrefix}.${i + 1}`, port: options.port },
      peers: directory(i),
      auth,
      log,
      deliver: (messages) => {
        for (const m of messages) host.step(m);
      },
      onUnreachable: (peer) => host.reportUnreachable(peer),
      onSnapshotFailed: (peer) => host.reportSnapshotFailed(peer),
      onRejected: (reason) => rejected.push(reason),
    });
    members.push({ id, host, applied, transport, rejected });
  }
  for (const member of members) member.host.start();
  return {
    members,
    leader: () => {
      const acting = members.filter((m) => m.host.isActing());
      return acting.length === 1 ? acting[0] : undefined;
    },
    async stop() {
      for (const member of members) {
        await member.host.transferLeadershipAndStop(0).catch(() => {});
        await member.transport.stop();
      }
    },
  };
}
