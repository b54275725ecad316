/**
 * A TCP relay in front of a real server: bytes pass through untouched (TLS included, so clients still verify the
 * server itself), and `cut()` destroys every relayed connection at once, which is what a client sees when the
 * network drops or the server restarts. Used to cut the real API server's watches without restarting it.
 */
import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** Open relayed connections. */
  connections(): number;
  /** Destroys every open connection; new ones are accepted as before. */
  cut(): number;
  stop(): Promise<void>;
}

export interface TcpProxyOptions {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: options.targetHost, port: options.targetPort });
    open.add(client);
    const close = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listenPort, options.listenHost, () => resolve());
  });
  return {
    connections: () => open.size,
    cut() {
      const count = open.size;
      for (const socket of [...open]) socket.destroy();
      return count;
    },
    async stop() {
      for (const socket of [...open]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
