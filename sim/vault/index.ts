/**
 * sim/vault: a HashiCorp Vault stand-in that speaks Vault's HTTP API over HTTPS with its own CA.
 *
 * startVaultSim({hostname?, port?, dir, clock?, random?}) starts it and writes `<dir>/vault-ca.pem`; createVaultApp()
 * gives the same server as a Hono app without sockets. Paths, status codes and JSON shapes follow Vault's API docs
 * (the endpoint list is in sim/vault/README.md). Hooks for tests and chaos: `clock.advance(ms)` (all TTLs),
 * `setOnline(false|true)` (refuse connections, keep state and port), `setSealed(true|false)` (503 "Vault is sealed"),
 * `stats` (secret_ids minted and logins per role, mint records by accessor, a request log without secrets, and
 * `onSecretIssued` for leak checks).
 *
 * What it does NOT do (like controller-runtime's fake client, it says so):
 * - No storage, unseal API, HA, replication or namespaces: state lives in memory and dies with the process;
 *   sys/health always says initialized and active, and sealed only through setSealed(). No audit devices, no
 *   identity (entity_id is always "").
 * - Only the auth methods token and approle and the secrets engine pki; no kv, cubbyhole, transit or leases API
 *   (sys/leases/*, lease_id is always ""). Mount paths are a single segment ("pki", "pki_int", not "pki/int").
 * - The HTTP method LIST does not reach it under Bun: Bun.serve and node:http refuse unknown methods on the wire, and
 *   Bun's Request turns LIST into GET (measured). Use GET with ?list=true, which is what the vault CLI sends;
 *   the LIST method is handled where the runtime preserves it (Node, Deno).
 * - Tokens are service tokens only (no batch tokens, no token types, no entity aliases, no auth/token/lookup/:token
 *   GET form, no tidy); a custom `id` on create needs root (Vault also allows sudo). Token roles ignore path_suffix
 *   and the *_glob fields. Expired tokens are dropped when next looked at, not by a background sweep.
 * - AppRole: no per-field role endpoints (role/:name/policies, ...), no tidy/secret-id, no local secret_ids
 *   semantics, no token_type; secret_id accessors are UUIDs.
 * - Response wrapping: no JWT wrapping format, no wrapping policy from the mount, `cubbyhole/response` is not
 *   readable; sys/wrapping/wrap needs X-Vault-Wrap-TTL.
 * - Policies: ACL only (no RGP/EGP/Sentinel, no templated paths such as {{identity.entity.id}}, no control groups);
 *   allowed/denied parameter values are compared as strings, without globs.
 * - PKI: one root issuer per mount (generating a second replaces the first, with a warning); keys are always
 *   ECDSA P-256 whatever key_type says and private keys are PKCS#8 PEM; no intermediates, CSRs, sign, revoke, CRL,
 *   OCSP, ACME, tidy, config/urls; ttl beyond the CA's notAfter is an error (leaf_not_after_behavior=err only).
 * - No rate limiting (429), no request forwarding, no X-Vault-Index consistency headers, no CORS.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { type RunningServer, serve } from "../../lib/runtime/index.ts";
import { createCertificateAuthority, issueLeaf, type KeyPairPem } from "../../lib/tls/index.ts";
import { createVaultApp, type VaultApp } from "./app.ts";
import { createSimClock, type SimClock } from "./core/clock.ts";
import type { RandomSource } from "./core/ids.ts";
import type { SimStats } from "./core/stats.ts";

export { createVaultApp, type VaultApp, type VaultEnv } from "./app.ts";
export { createSimClock, type SimClock } from "./core/clock.ts";
export type { IssuedSecretKind, MintRecord, RequestRecord, SimStats } from "./core/stats.ts";

export interface VaultSimOptions {
  hostname?: string;
  /** 0 (default) picks a free port, which setOnline(true) then reuses. */
  port?: number;
  /** Where vault-ca.pem is written. */
  dir: string;
  clock?: SimClock;
  random?: RandomSource;
}

export interface VaultSim {
  /** https://host:port, the VAULT_ADDR to give clients. */
  addr: string;
  caCertPath: string;
  caPem: string;
  rootToken: string;
  app: VaultApp["app"];
  clock: SimClock;
  stats: SimStats;
  /** false: stop listening (connections are refused) but keep every token, role and secret; true: listen again. */
  setOnline(online: boolean): Promise<void>;
  /** true: answer 503 "Vault is sealed" (sys/health 503 with sealed: true) while keeping state; false: unseal. */
  setSealed(sealed: boolean): void;
  stop(): Promise<void>;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600_000;

async function serverIdentity(hostname: string): Promise<{ caPem: string; leaf: KeyPairPem }> {
  const ca = await createCertificateAuthority("vault-sim CA", TEN_YEARS_MS);
  const ipSans = ["127.0.0.1", "::1", ...(isIP(hostname) !== 0 ? [hostname] : [])];
  const dnsNames = ["localhost", "vault", ...(isIP(hostname) === 0 ? [hostname] : [])];
  const leaf = await issueLeaf(ca, {
    commonName: "vault-sim",
    dnsNames: [...new Set(dnsNames)],
    ipSans: [...new Set(ipSans)],
    ttlMs: TEN_YEARS_MS,
    usages: ["server"],
  });
  return { caPem: ca.certPem, leaf };
}

export async function startVaultSim(options: VaultSimOptions): Promise<VaultSim> {
  const hostname = options.hostname ?? "127.0.0.1";
  const clock = options.clock ?? createSimClock();
  const vault = createVaultApp({ clock, ...(options.random ? { random: options.random } : {}) });
  const { caPem, leaf } = await serverIdentity(hostname);
  await mkdir(options.dir, { recursive: true });
  const caCertPath = join(options.dir, "vault-ca.pem");
  await writeFile(caCertPath, caPem);

  const listen = (port: number) =>
    serve({
      hostname,
      port,
      tls: leaf,
      fetch: (request, info) => vault.app.fetch(request, { remoteAddress: info.remoteAddress }),
    });
  let server: RunningServer | undefined = await listen(options.port ?? 0);
  const port = server.port;
  return {
    addr: server.url,
    caCertPath,
    caPem,
    rootToken: vault.rootToken,
    app: vault.app,
    clock,
    stats: vault.context.stats,
    async setOnline(online) {
      if (!online && server) {
        const running = server;
        server = undefined;
        await running.stop(true);
      } else if (online && !server) {
        server = await listen(port);
      }
    },
    setSealed(sealed) {
      vault.context.seal.sealed = sealed;
    },
    async stop() {
      const running = server;
      server = undefined;
      await running?.stop(true);
    },
  };
}
