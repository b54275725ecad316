/**
 * Test support for the Vault stand-in: start it over HTTPS in a temporary directory and call it like a Vault client
 * (X-Vault-Token, JSON bodies, optional wrap TTL and source address), returning status and parsed JSON.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpClient, type HttpClient } from "../../lib/runtime/index.ts";
import { startVaultSim, type VaultSim } from "../../sim/vault/index.ts";

export interface VaultAnswer {
  status: number;
  json: unknown;
  text: string;
}

/** Walks parsed JSON by a dotted path ("auth.client_token"); undefined when any step is missing. */
export function at(tree: unknown, path: string): unknown {
  let node = tree;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function str(value: unknown): string {
  if (typeof value !== "string") throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function num(value: unknown): number {
  if (typeof value !== "number") throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  return value;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  wrapTtl?: string;
  headers?: Record<string, string>;
  /** Source address of the call (any 127.x address). */
  from?: string;
}

export interface SimHarness {
  sim: VaultSim;
  dir: string;
  call(method: string, path: string, options?: CallOptions): Promise<VaultAnswer>;
  close(): Promise<void>;
}

export async function startHarness(hostname = "127.0.0.1"): Promise<SimHarness> {
  const dir = await mkdtemp(join(tmpdir(), "vault-sim-test-"));
  const sim = await startVaultSim({ hostname, dir });
  const clients = new Map<string, HttpClient>();
  const clientFrom = (from: string) => {
    let client = clients.get(from);
    if (!client) {
      client = createHttpClient({
        trust: { kind: "ca", caPem: sim.caPem },
        localAddress: from,
        keepAlive: false,
      });
      clients.set(from, client);
    }
    return client;
  };
  return {
    sim,
    dir,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const token = options.token === undefined ? sim.rootToken : options.token;
      if (token) headers["X-Vault-Token"] = token;
      if (options.wrapTtl) headers["X-Vault-Wrap-TTL"] = options.wrapTtl;
      if (options.body !== undefined) headers["content-type"] = "application/json";
      const response = await clientFrom(options.from ?? "127.0.0.1").fetch(`${sim.addr}/v1/${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: response.status, json, text };
    },
    async close() {
      for (const client of clients.values()) client.close();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const PERMISSION_DENIED = { errors: ["1 error occurred:\n\t* permission denied\n\n"] };

/** Creates a policy and a token holding it (plus default); returns the token. */
export async function tokenWithPolicy(
  h: SimHarness,
  name: string,
  policy: string,
  extra: object = {},
): Promise<string> {
  const put = await h.call("PUT", `sys/policies/acl/${name}`, { body: { policy } });
  if (put.status !== 204) throw new Error(`policy ${name}: ${put.status} ${put.text}`);
  const created = await h.call("POST", "auth/token/create", { body: { policies: [name], ...extra } });
  if (created.status !== 200) throw new Error(`token for ${name}: ${created.status} ${created.text}`);
  return str(at(created.json, "auth.client_token"));
}
