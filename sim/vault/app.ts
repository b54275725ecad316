/**
 * createVaultApp(): the whole Vault stand-in as a Hono app, with no sockets. Bind it with serve() (see index.ts), or
 * call `app.request(path, init, { remoteAddress })` in a test; the remote address is what AppRole's cidr_list and
 * token_bound_cidrs are checked against (default 127.0.0.1).
 *
 * A fresh instance is what `vault server` is after init and unseal: a random root token, the token auth method at
 * auth/token/, sys/, the `default` and `root` policies, and nothing else mounted.
 */
import { Hono } from "hono";
import { PolicyStore } from "./acl/store.ts";
import { approleBackend } from "./approle/index.ts";
import { createSimClock, type SimClock } from "./core/clock.ts";
import type { SimContext } from "./core/context.ts";
import { createIdSource, cryptoRandom, type RandomSource } from "./core/ids.ts";
import { createPipeline } from "./core/pipeline.ts";
import { SimStats } from "./core/stats.ts";
import { pkiBackend } from "./pki/index.ts";
import { sysBackend } from "./sys/backend.ts";
import { addMount, type BackendFactory } from "./sys/mounts.ts";
import { tokenBackend } from "./token/routes.ts";
import { TokenStore } from "./token/store.ts";

export interface VaultAppOptions {
  clock?: SimClock;
  random?: RandomSource;
}

export interface VaultEnv {
  remoteAddress?: string;
}

export interface VaultApp {
  app: Hono<{ Bindings: VaultEnv }>;
  rootToken: string;
  context: SimContext;
}

/** Backend types `sys/auth/:path` and `sys/mounts/:path` can enable. */
export const BACKEND_FACTORIES: Record<string, BackendFactory> = {
  approle: approleBackend,
  pki: pkiBackend,
};

export function createVaultApp(options: VaultAppOptions = {}): VaultApp {
  const clock = options.clock ?? createSimClock();
  const ids = createIdSource(options.random ?? cryptoRandom);
  const stats = new SimStats();
  const context: SimContext = {
    clock,
    ids,
    tokens: new TokenStore(clock, ids, (id) => stats.secretIssued("token", id)),
    policies: new PolicyStore(),
    stats,
    mounts: new Map(),
    seal: { sealed: false },
  };
  const cluster = { clusterName: `vault-cluster-${ids.base62(8).toLowerCase()}`, clusterId: ids.uuid() };
  const builtins: Record<string, BackendFactory> = {
    ...BACKEND_FACTORIES,
    system: (ctx) => sysBackend(ctx, BACKEND_FACTORIES, cluster),
    token: tokenBackend,
  };
  addMount(context, builtins, {
    path: "sys/",
    type: "system",
    description: "system endpoints used for control, policy and debugging",
  });
  addMount(context, builtins, { path: "auth/token/", type: "token", description: "token based credentials" });
  const root = context.tokens.create({ policies: ["root"], displayName: "root", path: "auth/token/root" });
  const pipeline = createPipeline(context);
  const app = new Hono<{ Bindings: VaultEnv }>();
  app.all("*", async (c) => {
    const result = await pipeline(c.req.raw, c.env?.remoteAddress ?? "127.0.0.1");
    return result.response;
  });
  return { app, rootToken: root.id, context };
}
