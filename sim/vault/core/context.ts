/**
 * The shared services every backend of one sim instance sees: clock, ids, token and policy stores, the counters
 * tests read, and the mount table.
 */
import type { PolicyStore } from "../acl/store.ts";
import type { TokenStore } from "../token/store.ts";
import type { SimClock } from "./clock.ts";
import type { IdSource } from "./ids.ts";
import type { Backend } from "./logical.ts";
import type { SimStats } from "./stats.ts";

export interface Mount {
  /** With the trailing slash, e.g. "auth/approle/" or "pki/". */
  path: string;
  type: string;
  description: string;
  accessor: string;
  uuid: string;
  backend: Backend;
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  local: boolean;
}

export interface SimContext {
  clock: SimClock;
  ids: IdSource;
  tokens: TokenStore;
  policies: PolicyStore;
  stats: SimStats;
  mounts: Map<string, Mount>;
  /** A chaos switch: while sealed, everything but the status endpoints answers 503 as a sealed Vault does. */
  seal: { sealed: boolean };
}
