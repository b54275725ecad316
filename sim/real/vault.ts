/**
 * A real Vault server for the sandbox (HashiCorp Vault 1.13.0, MPL-2.0; see scripts/real-servers.sh for why not
 * OpenBao): file storage in `<dir>/vault/data`, TLS from a CA of its own, initialised with one unseal key and
 * unsealed. Not dev mode, because dev mode keeps everything in memory: `setOnline(false)` stops the process and
 * `setOnline(true)` starts it again on the same port and data and unseals it, which is a real Vault outage and
 * restart.
 *
 * A file audit device (log_raw, test only: it records secrets in clear) is enabled at start; vault-audit.ts turns
 * its entries into the same SimStats the stand-in keeps, so tests read both the same way.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHttpClient, type HttpClient } from "../../lib/runtime/index.ts";
import { createCertificateAuthority, issueLeaf } from "../../lib/tls/index.ts";
import type { SimStats } from "../vault/index.ts";
import { freePort, type ServerProcess, serverProcess } from "./server-process.ts";
import { followVaultAudit, type VaultAuditFollower } from "./vault-audit.ts";

export interface RealVault {
  addr: string;
  caCertPath: string;
  caPem: string;
  rootToken: string;
  stats: SimStats;
  process: ServerProcess;
  auditLogPath: string;
  /** false: the server process stops (connections refused); true: it starts again and is unsealed. */
  setOnline(online: boolean): Promise<void>;
  stop(): Promise<void>;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600_000;

interface InitAnswer {
  keys_base64: string[];
  root_token: string;
}

function configHcl(address: string, dataDir: string, certPath: string, keyPath: string): string {
  return `storage "file" {
  path = ${JSON.stringify(dataDir)}
}
listener "tcp" {
  address       = ${JSON.stringify(address)}
  tls_cert_file = ${JSON.stringify(certPath)}
  tls_key_file  = ${JSON.stringify(keyPath)}
}
api_addr      = ${JSON.stringify(`https://${address}`)}
disable_mlock = true
ui            = false
log_level     = "warn"
`;
}

async function call(
  http: HttpClient,
  url: string,
  method: string,
  body?: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const response = await http.fetch(url, {
    method,
    headers: {
      ...(token ? { "X-Vault-Token": token } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Vault ${method} ${url} -> ${response.status}: ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startRealVault(
  binary: string,
  dir: string,
  host = "127.0.0.1",
  requestedPort = 0,
): Promise<RealVault> {
  const vaultDir = join(dir, "vault");
  const dataDir = join(vaultDir, "data");
  await mkdir(dataDir, { recursive: true });
  const ca = await createCertificateAuthority("kubernetes-vault sandbox Vault CA", TEN_YEARS_MS);
  const leaf = await issueLeaf(ca, {
    commonName: "vault",
    dnsNames: ["localhost", "vault"],
    ipSans: [...new Set(["127.0.0.1", host])],
    ttlMs: TEN_YEARS_MS,
    usages: ["server"],
  });
  const caCertPath = join(dir, "vault-ca.pem");
  const certPath = join(vaultDir, "tls.crt");
  const keyPath = join(vaultDir, "tls.key");
  const configPath = join(vaultDir, "config.hcl");
  const auditLogPath = join(vaultDir, "audit.log");
  await writeFile(caCertPath, ca.certPem);
  await writeFile(certPath, leaf.certPem);
  await writeFile(keyPath, leaf.keyPem, { mode: 0o600 });
  const port = requestedPort || (await freePort(host));
  const addr = `https://${host}:${port}`;
  await writeFile(configPath, configHcl(`${host}:${port}`, dataDir, certPath, keyPath));

  // No keep-alive: Vault drops idle connections around init and unseal, and a reused one answers "socket hang up".
  const http = createHttpClient({
    trust: { kind: "ca", caPem: ca.certPem },
    timeoutMs: 10_000,
    keepAlive: false,
  });
  // Any answer of sys/health means the listener is up (501 uninitialised, 503 sealed, 200 active).
  const server = serverProcess({
    name: "vault",
    command: binary,
    args: ["server", `-config=${configPath}`],
    env: { VAULT_LOG_FORMAT: "json" },
    dir: vaultDir,
    ready: async () => {
      const response = await http.fetch(`${addr}/v1/sys/health`);
      await response.arrayBuffer();
      return [200, 429, 472, 473, 501, 503].includes(response.status);
    },
  });
  await server.start();

  const initPath = join(vaultDir, "init.json");
  const unseal = async () => {
    const saved = JSON.parse(await readFile(initPath, "utf8")) as InitAnswer;
    await call(http, `${addr}/v1/sys/unseal`, "PUT", { key: saved.keys_base64[0] });
    const until = Date.now() + 60_000;
    for (;;) {
      const response = await http.fetch(`${addr}/v1/sys/health`).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status === 200) return;
      if (Date.now() > until)
        throw new Error(`Vault did not become active after unsealing; log:\n${server.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  let rootToken: string;
  try {
    const init = (await call(http, `${addr}/v1/sys/init`, "PUT", {
      secret_shares: 1,
      secret_threshold: 1,
    })) as unknown as InitAnswer;
    await writeFile(initPath, JSON.stringify(init), { mode: 0o600 });
    rootToken = init.root_token;
    await unseal();
    await call(
      http,
      `${addr}/v1/sys/audit/file`,
      "PUT",
      { type: "file", options: { file_path: auditLogPath, log_raw: "true", hmac_accessor: "false" } },
      rootToken,
    );
  } catch (error) {
    // A server that started but could not be set up is stopped here: nobody else holds its pid.
    await server.stop();
    http.close();
    throw error;
  }
  const audit: VaultAuditFollower = followVaultAudit(auditLogPath);

  return {
    addr,
    caCertPath,
    caPem: ca.certPem,
    rootToken,
    stats: audit.stats,
    process: server,
    auditLogPath,
    async setOnline(online) {
      if (!online) {
        await server.stop();
        return;
      }
      if (server.running()) return;
      await server.start();
      await unseal();
    },
    async stop() {
      await server.stop();
      audit.stop();
      http.close();
    },
  };
}
