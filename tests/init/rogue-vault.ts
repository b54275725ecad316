// Vaults a forged push might name, for the init's secure-by-default tests: a plain-http impostor that answers the
// three calls like Vault would (so an init that trusts it goes all the way to writing its token), and an address that
// accepts connections and never says a word (a black-holed or hung Vault).
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";

export interface RogueServer {
  /** The address a push names, e.g. http://127.1.24.200:34567. */
  addr: string;
  /** Connections accepted so far: any at all means the init reached out. */
  connections(): number;
  /** Request bodies received (what a real impostor would harvest: the role_id, the secret_id). */
  bodies: string[];
  stop(): Promise<void>;
}

/** Answers lookup, unwrap and login as Vault does, handing out a token of its own. */
export async function startImpostorVault(hostname: string): Promise<RogueServer> {
  let connections = 0;
  const bodies: string[] = [];
  const answers: Record<string, unknown> = {
    "/v1/sys/wrapping/lookup": {
      data: {
        creation_path: "auth/approle/role/web/secret-id",
        creation_time: new Date().toISOString(),
        creation_ttl: 600,
      },
    },
    "/v1/sys/wrapping/unwrap": {
      data: { secret_id: "impostor-secret-id", secret_id_accessor: "impostor-sid" },
    },
    "/v1/auth/approle/login": {
      auth: {
        client_token: "impostor-token",
        accessor: "impostor-accessor",
        lease_duration: 3600,
        renewable: true,
      },
    },
  };
  const server: Server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      const answer = answers[request.url ?? ""];
      response.writeHead(answer ? 200 : 404, { "content-type": "application/json" });
      response.end(JSON.stringify(answer ?? { errors: [] }));
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  const port = await listen(server, hostname);
  return {
    addr: `http://${hostname}:${port}`,
    connections: () => connections,
    bodies,
    stop: () => {
      // The init's Vault client keeps connections alive; close() alone would wait for them.
      server.closeAllConnections();
      return close(server);
    },
  };
}

/** Accepts TCP connections and never answers, not even the TLS handshake. */
export async function startSilentVault(hostname: string): Promise<RogueServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(server, hostname);
  return {
    addr: `https://${hostname}:${port}`,
    connections: () => connections,
    bodies: [],
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return close(server);
    },
  };
}

function listen(server: Server | ReturnType<typeof createTcpServer>, hostname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, hostname, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

function close(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
