/**
 * The token store's state machine: create, look up (expiring lazily against the injected clock), use (num_uses),
 * renew and revoke (a token's children go with it unless they are orphans, as in Vault).
 *
 * Contract: no I/O; time comes from the clock, ids from the IdSource. Expired or exhausted tokens are removed the
 * first time anyone looks at them, so the observable behaviour matches Vault's expiration manager.
 */
import type { SimClock } from "../core/clock.ts";
import { formatGoDuration } from "../core/duration.ts";
import { badRequest } from "../core/errors.ts";
import type { IdSource } from "../core/ids.ts";
import { normalizePolicies, type TokenEntry, type WrappedResponse } from "./entry.ts";

/** Vault's default and maximum lease TTL (32 days) when neither the mount nor the request says otherwise. */
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

export interface NewToken {
  /** A caller-chosen id (root-only `id` on auth/token/create); random when absent. */
  id?: string;
  policies: string[];
  meta?: Record<string, string> | null;
  displayName: string;
  path: string;
  /** Seconds; 0 means "the default" (root-policy tokens then never expire). */
  ttl?: number;
  maxTtl?: number;
  explicitMaxTtl?: number;
  period?: number;
  periodFromRole?: boolean;
  numUses?: number;
  parent?: TokenEntry;
  orphan?: boolean;
  renewable?: boolean;
  role?: string;
  boundCidrs?: string[];
  wrapping?: WrappedResponse;
}

export interface RenewResult {
  entry: TokenEntry;
  warnings: string[];
}

export class TokenStore {
  private readonly byId = new Map<string, TokenEntry>();
  private readonly idByAccessor = new Map<string, string>();
  private readonly children = new Map<string, Set<string>>();

  constructor(
    private readonly clock: SimClock,
    private readonly ids: IdSource,
    /** Sees every new token id (the stats' leak-check hook); keeps nothing. */
    private readonly onCreated: (id: string) => void = () => {},
  ) {}

  create(input: NewToken): TokenEntry {
    const now = this.clock.now();
    const policies = normalizePolicies(input.policies);
    const explicitMaxTtl = input.explicitMaxTtl ?? 0;
    const period = input.period ?? 0;
    const neverExpires = policies.includes("root") && !input.ttl && period === 0 && explicitMaxTtl === 0;
    const maxTtl = Math.min(input.maxTtl || SYSTEM_MAX_TTL_SECONDS, SYSTEM_MAX_TTL_SECONDS);
    let ttl = period > 0 ? period : input.ttl || SYSTEM_MAX_TTL_SECONDS;
    if (period === 0) ttl = Math.min(ttl, maxTtl);
    if (explicitMaxTtl > 0) ttl = Math.min(ttl, explicitMaxTtl);
    const hardLimit = explicitMaxTtl > 0 ? explicitMaxTtl : period > 0 ? 0 : maxTtl;
    const orphan = input.orphan === true || input.parent === undefined;
    const entry: TokenEntry = {
      id: input.id ?? this.ids.token(),
      accessor: this.ids.accessor(),
      policies,
      meta: input.meta ?? null,
      displayName: input.displayName,
      path: input.path,
      creationTime: now,
      creationTtl: neverExpires ? 0 : ttl,
      expireTime: neverExpires ? null : now + ttl * 1000,
      maxExpireTime: neverExpires || hardLimit === 0 ? null : now + hardLimit * 1000,
      explicitMaxTtl,
      period,
      periodFromRole: input.periodFromRole === true && period > 0,
      numUses: input.numUses ?? 0,
      orphan,
      parent: orphan ? undefined : input.parent?.id,
      renewable: !neverExpires && input.renewable !== false,
      role: input.role ?? "",
      boundCidrs: input.boundCidrs ?? [],
      lastRenewalTime: null,
      ...(input.wrapping ? { wrapping: input.wrapping } : {}),
    };
    this.byId.set(entry.id, entry);
    this.idByAccessor.set(entry.accessor, entry.id);
    this.onCreated(entry.id);
    if (entry.parent) {
      const siblings = this.children.get(entry.parent) ?? new Set<string>();
      siblings.add(entry.id);
      this.children.set(entry.parent, siblings);
    }
    return entry;
  }

  /** The live token with this id, or undefined (expired tokens and their descendants are revoked on the way). */
  lookup(id: string): TokenEntry | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    if (this.isExpired(entry)) {
      this.revoke(entry.id);
      return undefined;
    }
    return entry;
  }

  exists(id: string): boolean {
    return this.byId.has(id);
  }

  lookupAccessor(accessor: string): TokenEntry | undefined {
    const id = this.idByAccessor.get(accessor);
    return id === undefined ? undefined : this.lookup(id);
  }

  /** Counts one use; returns true when that was the last one (the caller revokes after answering). */
  use(entry: TokenEntry): boolean {
    if (entry.numUses === 0) return false;
    entry.numUses -= 1;
    if (entry.numUses === 0) {
      // Vault marks an exhausted token with -1 until the request finishes, then revokes it.
      entry.numUses = -1;
      return true;
    }
    return false;
  }

  renew(entry: TokenEntry, incrementSeconds: number): RenewResult {
    if (!entry.renewable) throw badRequest("lease is not renewable");
    const now = this.clock.now();
    const base =
      entry.period > 0 ? entry.period : incrementSeconds > 0 ? incrementSeconds : entry.creationTtl;
    let expire = now + base * 1000;
    const warnings: string[] = [];
    if (entry.maxExpireTime !== null && expire > entry.maxExpireTime) {
      expire = entry.maxExpireTime;
      warnings.push(
        `TTL of "${formatGoDuration(base)}" exceeded the effective max_ttl of "${formatGoDuration(
          Math.max(0, Math.round((expire - now) / 1000)),
        )}"; TTL value is capped accordingly`,
      );
    }
    entry.expireTime = expire;
    entry.lastRenewalTime = now;
    return { entry, warnings };
  }

  /** Revokes the token and, recursively, every non-orphan child. Unknown ids are ignored, as in Vault. */
  revoke(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    for (const child of this.children.get(id) ?? []) this.revoke(child);
    this.children.delete(id);
    if (entry.parent) this.children.get(entry.parent)?.delete(id);
    this.byId.delete(id);
    this.idByAccessor.delete(entry.accessor);
  }

  /** Revokes only this token; its children become orphans (auth/token/revoke-orphan). */
  revokeOrphan(id: string): void {
    for (const child of this.children.get(id) ?? []) {
      const entry = this.byId.get(child);
      if (entry) {
        entry.parent = undefined;
        entry.orphan = true;
      }
    }
    this.children.delete(id);
    this.revoke(id);
  }

  accessors(): string[] {
    return [...this.idByAccessor.keys()].filter((a) => this.lookupAccessor(a) !== undefined);
  }

  private isExpired(entry: TokenEntry): boolean {
    if (entry.numUses < 0) return true;
    if (entry.expireTime !== null && this.clock.now() >= entry.expireTime) return true;
    const parent = entry.parent ? this.byId.get(entry.parent) : undefined;
    return parent !== undefined && this.isExpired(parent);
  }
}
