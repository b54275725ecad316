/**
 * N RaftHosts in this process, each with its own FileStorage directory and its own real HTTP transport on a
 * loopback address (127.0.8.<n>), driving a tiny key-count state machine. For transport/host tests and the commit
 * latency figure; the controller processes are tested separately with the compiled binary.
 */
import { join } from "node:path";
import { createLogger } from "../../lib/log/index.ts";
import { startMembershipReconciler } from "../../lib/main/membership.ts";
import { type RaftTransport, startRaftTransport } from "../../lib/main/raft-transport.ts";
import type { PeerDirectory, PeerMember } from "../../lib/main/static-peers.ts";
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
  stop(): Promise<void>;
}

export interface InProcessCluster {
  members: Member[];
  leader(): Member | undefined;
  /** The FileStorage directory of a member. */
  dirOf(member: Member): string;
  /** Starts one more node that joins through the leader (learner, then voter); needs `membership`. */
  addMember(): Promise<Member>;
  /** Stops a node and takes it out of the directory; the leader removes it after the grace period. */
  removeMember(member: Member): Promise<void>;
  stop(): Promise<void>;
}

export interface InProcessClusterOptions {
  addressPrefix: string;
  port: number;
  clusterKey: string;
  /** Run lib/main's membership reconciler on every node, with this removal grace. */
  membership?: { graceMs: number };
  /** Snapshot (and compact the log) every this many applied entries. */
  snapshotEvery?: number;
}

export async function startInProcessCluster(
  dir: string,
  count: number,
  options: InProcessClusterOptions,
): Promise<InProcessCluster> {
  const initial = Array.from({ length: count }, (_, i) => `node-${i}`);
  const directoryMembers: PeerMember[] = [];
  const listeners = new Set<() => void>();
  const publish = () => {
    for (const listener of listeners) listener();
  };
  const directory = (self: PeerMember): PeerDirectory => ({
    self,
    members: () => [...directoryMembers],
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  const log = createLogger("warn", { component: "raft-test" });
  const members: Member[] = [];
  let nextIndex = 0;

  const launch = async (initialVoters: readonly string[]): Promise<Member> => {
    const i = nextIndex++;
    const id = `node-${i}`;
    const self = { name: id, raftAddress: `${options.addressPrefix}.${i + 1}:${options.port}` };
    directoryMembers.push(self);
    const storage = await FileStorage.open({ dir: join(dir, id) });
    const applied: string[] = [];
    const rejected: string[] = [];
    let transport: RaftTransport | undefined;
    const host = createRaftHost<number>({
      id,
      initialVoters,
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
      ...(options.snapshotEvery ? { snapshotEvery: options.snapshotEvery } : {}),
    });
    const auth = await createRpcAuthenticator({ clusterKey: options.clusterKey, now: () => Date.now() });
    transport = await startRaftTransport({
      selfId: id,
      listen: { hostname: `${options.addressPrefix}.${i + 1}`, port: options.port },
      peers: directory(self),
      auth,
      log,
      deliver: (messages) => {
        for (const m of messages) host.step(m);
      },
      onUnreachable: (peer) => host.reportUnreachable(peer),
      onSnapshotFailed: (peer) => host.reportSnapshotFailed(peer),
      onRejected: (reason) => rejected.push(reason),
    });
    const reconciler = options.membership
      ? startMembershipReconciler({
          host,
          peers: directory(self),
          log,
          now: () => performance.now(),
          graceMs: options.membership.graceMs,
        })
      : undefined;
    const started = transport;
    let stopped = false;
    const member: Member = {
      id,
      host,
      applied,
      transport: started,
      rejected,
      async stop() {
        if (stopped) return;
        stopped = true;
        reconciler?.stop();
        await host.transferLeadershipAndStop(0).catch(() => {});
        await started.stop();
      },
    };
    members.push(member);
    host.start();
    return member;
  };

  for (let i = 0; i < count; i++) await launch(initial);
  return {
    members,
    dirOf: (member) => join(dir, member.id),
    leader: () => {
      const acting = members.filter((m) => m.host.isActing());
      return acting.length === 1 ? acting[0] : undefined;
    },
    async addMember() {
      const member = await launch([]);
      publish();
      return member;
    },
    async removeMember(member) {
      await member.stop();
      members.splice(members.indexOf(member), 1);
      directoryMembers.splice(
        directoryMembers.findIndex((m) => m.name === member.id),
        1,
      );
      publish();
    },
    async stop() {
      for (const member of members) await member.stop();
    },
  };
}
