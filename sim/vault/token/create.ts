/**
 * auth/token/create, create-orphan and create/:role_name (api-docs/auth/token#create-token): which policies, TTL,
 * period and parent a new token gets, with Vault's rules:
 * - without a role the child's policies must be a subset of the parent's (root may grant anything);
 * - with a role they must be within the role's allowed_policies (or the parent's when that list is empty) and
 *   outside its disallowed_policies; with none requested the role's allowed_policies are used;
 * - `default` is added unless no_default_policy; a token holding `root` holds nothing else;
 * - orphans (no_parent), periodic tokens and explicit max TTLs outside a role need root or sudo.
 */

import { badRequest } from "../core/errors.ts";
import type { FieldSpec } from "../core/fields.ts";
import type { LogicalRequest } from "../core/logical.ts";
import { authBlock, normalizePolicies, type TokenEntry } from "./entry.ts";
import type { TokenRole } from "./roles.ts";
import type { TokenStore } from "./store.ts";

export const CREATE_FIELDS: FieldSpec = {
  id: "string",
  policies: "strings",
  meta: "stringMap",
  no_parent: "bool",
  no_default_policy: "bool",
  renewable: "bool",
  ttl: "duration",
  explicit_max_ttl: "duration",
  display_name: "string",
  num_uses: "int",
  period: "duration",
  type: "string",
  entity_alias: "string",
};

const quoteList = (names: string[]) => `[${names.map((n) => JSON.stringify(n)).join(" ")}]`;

function isPrivileged(request: LogicalRequest): boolean {
  return request.capabilities.has("root") || request.capabilities.has("sudo");
}

function choosePolicies(request: LogicalRequest, parent: TokenEntry, role: TokenRole | undefined): string[] {
  const requested = request.fields.strings("policies");
  const noDefault = request.fields.bool("no_default_policy") ?? role?.noDefaultPolicy ?? false;
  const parentIsRoot = parent.policies.includes("root");
  let policies: string[];
  if (role) {
    policies = normalizePolicies(
      requested ?? (role.allowedPolicies.length > 0 ? role.allowedPolicies : parent.policies),
    );
    const checked = policies.filter((p) => p !== "default");
    if (role.allowedPolicies.length > 0) {
      if (!checked.every((p) => role.allowedPolicies.includes(p)))
        throw badRequest(
          `token policies (${quoteList(checked)}) must be subset of the role's allowed policies (${quoteList(role.allowedPolicies)})`,
        );
    } else if (!parentIsRoot && !checked.every((p) => parent.policies.includes(p))) {
      throw badRequest("child policies must be subset of parent");
    }
    const disallowed = checked.filter((p) => role.disallowedPolicies.includes(p));
    if (disallowed.length > 0)
      throw badRequest(
        `token policies (${quoteList(checked)}) contain disallowed policies (${quoteList(role.disallowedPolicies)})`,
      );
  } else {
    policies = normalizePolicies(requested ?? parent.policies);
    if (!parentIsRoot && !policies.filter((p) => p !== "default").every((p) => parent.policies.includes(p)))
      throw badRequest("child policies must be subset of parent");
  }
  if (policies.includes("root")) return ["root"];
  return normalizePolicies(noDefault ? policies : [...policies, "default"]);
}

export function createToken(
  tokens: TokenStore,
  request: LogicalRequest,
  mode: { orphanEndpoint: boolean; role?: TokenRole },
) {
  const parent = request.token;
  if (!parent) throw badRequest("token create requires a client token");
  // Vault refuses children of use-limited tokens (their parent could vanish mid-flight).
  if (parent.numUses !== 0) throw badRequest("use limited tokens cannot create child tokens");
  const f = request.fields;
  const role = mode.role;
  const policies = choosePolicies(request, parent, role);
  const noParent = f.bool("no_parent") ?? false;
  if (!role && !mode.orphanEndpoint && noParent && !isPrivileged(request))
    throw badRequest("root or sudo privileges required to create orphan token");
  const requestedPeriod = f.duration("period") ?? 0;
  if (!role && requestedPeriod > 0 && !isPrivileged(request))
    throw badRequest("root or sudo privileges required to create periodic token");
  const customId = f.string("id");
  if (customId !== undefined) {
    if (!request.capabilities.has("root"))
      throw badRequest("root or sudo privileges required to specify token id");
    if (customId.includes(".")) throw badRequest("token IDs can not contain a '.' character");
    if (tokens.exists(customId)) throw badRequest("cannot create a token with a duplicate ID");
  }
  const displayName = f.string("display_name");
  const entry = tokens.create({
    ...(customId ? { id: customId } : {}),
    policies,
    meta: f.stringMap("meta") ?? null,
    displayName: displayName ? `token-${displayName}` : "token",
    path: role
      ? `auth/token/create/${role.name}`
      : mode.orphanEndpoint
        ? "auth/token/create-orphan"
        : "auth/token/create",
    ttl: f.duration("ttl") ?? 0,
    explicitMaxTtl:
      role && role.explicitMaxTtl > 0 ? role.explicitMaxTtl : (f.duration("explicit_max_ttl") ?? 0),
    period: role && role.period > 0 ? role.period : requestedPeriod,
    periodFromRole: role !== undefined && role.period > 0,
    numUses: f.int("num_uses") ?? role?.numUses ?? 0,
    parent,
    orphan: mode.orphanEndpoint || noParent || role?.orphan === true,
    renewable: (role?.renewable ?? true) && (f.bool("renewable") ?? true),
    role: role?.name ?? "",
    boundCidrs: role?.boundCidrs ?? [],
  });
  return { auth: authBlock(entry, entry.creationTime) };
}
