/**
 * Token roles (api-docs/auth/token#create-update-token-role): what `auth/token/create/:role_name` may hand out.
 * `period`/`explicit_max_ttl` are the legacy spellings of `token_period`/`token_explicit_max_ttl`; both are accepted
 * and both are printed on read, as Vault does.
 */
import type { FieldSpec, ParsedFields } from "../core/fields.ts";
import { listResponse, type Route } from "../core/logical.ts";
import { normalizePolicies } from "./entry.ts";

export interface TokenRole {
  name: string;
  allowedPolicies: string[];
  disallowedPolicies: string[];
  orphan: boolean;
  renewable: boolean;
  period: number;
  explicitMaxTtl: number;
  pathSuffix: string;
  boundCidrs: string[];
  numUses: number;
  noDefaultPolicy: boolean;
}

export const TOKEN_ROLE_FIELDS: FieldSpec = {
  allowed_policies: "strings",
  disallowed_policies: "strings",
  orphan: "bool",
  renewable: "bool",
  period: "duration",
  token_period: "duration",
  explicit_max_ttl: "duration",
  token_explicit_max_ttl: "duration",
  path_suffix: "string",
  token_bound_cidrs: "strings",
  token_num_uses: "int",
  token_no_default_policy: "bool",
  token_type: "string",
  allowed_entity_aliases: "strings",
};

function applyFields(role: TokenRole, f: ParsedFields): TokenRole {
  return {
    ...role,
    allowedPolicies: normalizePolicies(f.strings("allowed_policies") ?? role.allowedPolicies),
    disallowedPolicies: normalizePolicies(f.strings("disallowed_policies") ?? role.disallowedPolicies),
    orphan: f.bool("orphan") ?? role.orphan,
    renewable: f.bool("renewable") ?? role.renewable,
    period: f.duration("token_period") ?? f.duration("period") ?? role.period,
    explicitMaxTtl:
      f.duration("token_explicit_max_ttl") ?? f.duration("explicit_max_ttl") ?? role.explicitMaxTtl,
    pathSuffix: f.string("path_suffix") ?? role.pathSuffix,
    boundCidrs: f.strings("token_bound_cidrs") ?? role.boundCidrs,
    numUses: f.int("token_num_uses") ?? role.numUses,
    noDefaultPolicy: f.bool("token_no_default_policy") ?? role.noDefaultPolicy,
  };
}

function roleData(role: TokenRole): Record<string, unknown> {
  return {
    allowed_entity_aliases: null,
    allowed_policies: role.allowedPolicies,
    allowed_policies_glob: [],
    disallowed_policies: role.disallowedPolicies,
    disallowed_policies_glob: [],
    explicit_max_ttl: role.explicitMaxTtl,
    name: role.name,
    orphan: role.orphan,
    path_suffix: role.pathSuffix,
    period: role.period,
    renewable: role.renewable,
    token_bound_cidrs: role.boundCidrs,
    token_explicit_max_ttl: role.explicitMaxTtl,
    token_no_default_policy: role.noDefaultPolicy,
    token_num_uses: role.numUses,
    token_period: role.period,
    token_type: "default-service",
  };
}

export function tokenRoleRoutes(roles: Map<string, TokenRole>): Route[] {
  const blank = (name: string): TokenRole => ({
    name,
    allowedPolicies: [],
    disallowedPolicies: [],
    orphan: false,
    renewable: true,
    period: 0,
    explicitMaxTtl: 0,
    pathSuffix: "",
    boundCidrs: [],
    numUses: 0,
    noDefaultPolicy: false,
  });
  const write = ({ params, fields }: { params: Record<string, string>; fields: ParsedFields }) => {
    const name = (params.role_name ?? "").toLowerCase();
    roles.set(name, applyFields(roles.get(name) ?? blank(name), fields));
  };
  return [
    { pattern: "roles", operations: { list: () => listResponse([...roles.keys()].sort()) } },
    {
      pattern: "roles/:role_name",
      fields: TOKEN_ROLE_FIELDS,
      exists: ({ role_name }) => roles.has((role_name ?? "").toLowerCase()),
      operations: {
        read: ({ params }) => {
          const role = roles.get((params.role_name ?? "").toLowerCase());
          return role && { data: roleData(role) };
        },
        create: write,
        update: write,
        delete: ({ params }) => {
          roles.delete((params.role_name ?? "").toLowerCase());
        },
      },
    },
  ];
}
