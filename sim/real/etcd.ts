/**
 * etcd for the real kube-apiserver: one member on loopback, plain http (it is reachable from this machine only),
 * data in `<dir>/etcd`. `compact()` compacts the key space to the current revision through etcd's JSON gateway
 * (POST /v3/kv/range for the revision, then /v3/kv/compaction), so watches from older resourceVersions get the
 * real "required revision has been compacted" → 410 Gone from the API server.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { freePort, type ServerProcess, serverProcess } from "./server-process.ts";

export interface Etcd {
  clientUrl: string;
  process: ServerProcess;
  /** Compacts to the current revision and returns it. */
  compact(): Promise<number>;
  stop(): Promise<void>;
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function startEtcd(binary: string, dir: string, host = "127.0.0.1"): Promise<Etcd> {
  const dataDir = join(dir, "etcd");
  await mkdir(dataDir, { recursive: true });
  const clientPort = await freePort(host);
  const peerPort = await freePort(host);
  const clientUrl = `http://${host}:${clientPort}`;
  const server = serverProcess({
    name: "etcd",
    command: binary,
    args: [
      "--name=sandbox",
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=http://${host}:${peerPort}`,
      `--initial-advertise-peer-urls=http://${host}:${peerPort}`,
      `--initial-cluster=sandbox=http://${host}:${peerPort}`,
      "--initial-cluster-state=new",
      // Sandbox data is disposable: skipping fsync keeps a busy 2-core machine responsive.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    dir,
    ready: async () => {
      const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      const health = (await response.json()) as { health?: string };
      return health.health === "true";
    },
  });
  await server.start();
  return {
    clientUrl,
    process: server,
    async compact() {
      // Key "\0" exists in no key space; the answer's header still carries the current revision.
      const range = await post(`${clientUrl}/v3/kv/range`, { key: "AA==" });
      const revision = Number((range.header as { revision?: string } | undefined)?.revision);
      if (!Number.isFinite(revision)) throw new Error("etcd's range answer carried no header.revision");
      await post(`${clientUrl}/v3/kv/compaction`, { revision: String(revision), physical: true });
      return revision;
    },
    stop: () => server.stop(),
  };
}
