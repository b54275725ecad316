/**
 * AppRole role CRUD (api-docs/auth/approle#create-update-approle, #read-approle, #read-approle-role-id,
 * #update-approle-role-id). `policies` and `period` are the legacy spellings of `token_policies` and `token_period`.
 */
import { validateCidr } from "../core/cidr.ts";
import { badRequest } from "../core/errors.ts";
import type { FieldSpec, ParsedFields } from "../core/fields.ts";
import type { IdSource } from "../core/ids.ts";
import { type LogicalRequest, listResponse, type Route } from "../core/logical.ts";
import { normalizePolicies } from "../token/entry.ts";
import type { AppRole, AppRoleState } from "./state.ts";

const ROLE_FIELDS: FieldSpec = {
  role_id: "string",
  bind_secret_id: "bool",
  secret_id_bound_cidrs: "strings",
  bound_cidr_list: "strings",
  secret_id_num_uses: "int",
  secret_id_ttl: "duration",
  local_secret_ids: "bool",
  token_policies: "strings",
  policies: "strings",
  token_ttl: "duration",
  token_max_ttl: "duration",
  token_bound_cidrs: "strings",
  token_explicit_max_ttl: "duration",
  token_no_default_policy: "bool",
  token_num_uses: "int",
  token_period: "duration",
  period: "duration",
  token_type: "string",
};

export const ROLE_NAME_PATTERN = /^[\w.\- ]+$/;

export function checkCidrs(cidrs: string[], field: string): void {
  for (const cidr of cidrs) {
    try {
      validateCidr(cidr);
    } catch (error) {
      throw badRequest(
        `failed to validate CIDR blocks in ${field}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
}

function applyRoleFields(role: AppRole, f: ParsedFields): AppRole {
  const next: AppRole = {
    ...role,
    bindSecretId: f.bool("bind_secret_id") ?? role.bindSecretId,
    secretIdBoundCidrs:
      f.strings("secret_id_bound_cidrs") ?? f.strings("bound_cidr_list") ?? role.secretIdBoundCidrs,
    secretIdNumUses: f.int("secret_id_num_uses") ?? role.secretIdNumUses,
    secretIdTtl: f.duration("secret_id_ttl") ?? role.secretIdTtl,
    localSecretIds: f.bool("local_secret_ids") ?? role.localSecretIds,
    tokenPolicies: normalizePolicies(
      f.strings("token_policies") ?? f.strings("policies") ?? role.tokenPolicies,
    ),
    tokenTtl: f.duration("token_ttl") ?? role.tokenTtl,
    tokenMaxTtl: f.duration("token_max_ttl") ?? role.tokenMaxTtl,
    tokenBoundCidrs: f.strings("token_bound_cidrs") ?? role.tokenBoundCidrs,
    tokenExplicitMaxTtl: f.duration("token_explicit_max_ttl") ?? role.tokenExplicitMaxTtl,
    tokenNoDefaultPolicy: f.bool("token_no_default_policy") ?? role.tokenNoDefaultPolicy,
    tokenNumUses: f.int("token_num_uses") ?? role.tokenNumUses,
    tokenPeriod: f.duration("token_period") ?? f.duration("period") ?? role.tokenPeriod,
    tokenType: f.string("token_type") ?? role.tokenType,
  };
  checkCidrs(next.secretIdBoundCidrs, "secret_id_bound_cidrs");
  checkCidrs(next.tokenBoundCidrs, "token_bound_cidrs");
  if (next.secretIdNumUses < 0) throw badRequest("secret_id_num_uses cannot be negative");
  if (next.tokenNumUses < 0) throw badRequest("token_num_uses cannot be negative");
  if (next.tokenMaxTtl > 0 && next.tokenTtl > next.tokenMaxTtl)
    throw badRequest("token_ttl should not be greater than token_max_ttl");
  if (!next.bindSecretId && next.secretIdBoundCidrs.length === 0 && next.tokenBoundCidrs.length === 0)
    throw badRequest("at least one constraint should be enabled on the role");
  return next;
}

export function roleData(role: AppRole): Record<string, unknown> {
  return {
    bind_secret_id: role.bindSecretId,
    local_secret_ids: role.localSecretIds,
    period: role.tokenPeriod,
    policies: role.tokenPolicies,
    secret_id_bound_cidrs: role.secretIdBoundCidrs,
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTtl,
    token_bound_cidrs: role.tokenBoundCidrs,
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    token_max_ttl: role.tokenMaxTtl,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_num_uses: role.tokenNumUses,
    token_period: role.tokenPeriod,
    token_policies: role.tokenPolicies,
    token_ttl: role.tokenTtl,
    token_type: role.tokenType,
  };
}

export function requireRole(state: AppRoleState, name: string | undefined): AppRole {
  const role = state.role(name ?? "");
  if (!role) throw badRequest(`role "${name ?? ""}" does not exist`);
  return role;
}

export function roleRoutes(state: AppRoleState, ids: IdSource): Route[] {
  const write = ({ params, fields }: LogicalRequest) => {
    const name = (params.role_name ?? "").toLowerCase();
    if (!ROLE_NAME_PATTERN.test(name)) throw badRequest(`invalid role name "${params.role_name ?? ""}"`);
    const existing = state.role(name);
    const base: AppRole = existing ?? {
      name,
      roleId: ids.uuid(),
      bindSecretId: true,
      secretIdBoundCidrs: [],
      secretIdNumUses: 0,
      secretIdTtl: 0,
      localSecretIds: false,
      tokenPolicies: [],
      tokenTtl: 0,
      tokenMaxTtl: 0,
      tokenBoundCidrs: [],
      tokenExplicitMaxTtl: 0,
      tokenNoDefaultPolicy: false,
      tokenNumUses: 0,
      tokenPeriod: 0,
      tokenType: "default",
    };
    const next = applyRoleFields(base, fields);
    const roleId = fields.string("role_id");
    if (roleId !== undefined) {
      if (state.roleIdInUse(roleId, name)) throw badRequest("role_id already in use");
      next.roleId = roleId;
    }
    state.putRole(next, existing?.roleId);
  };
  return [
    { pattern: "role", operations: { list: () => listResponse([...state.roles.keys()].sort()) } },
    {
      pattern: "role/:role_name",
      fields: ROLE_FIELDS,
      exists: ({ role_name }) => state.role(role_name ?? "") !== undefined,
      operations: {
        read: ({ params }) => {
          const role = state.role(params.role_name ?? "");
          return role && { data: roleData(role) };
        },
        create: write,
        update: write,
        delete: ({ params }) => state.deleteRole(params.role_name ?? ""),
      },
    },
    {
      pattern: "role/:role_name/role-id",
      fields: { role_id: "string" },
      operations: {
        read: ({ params }) => {
          const role = state.role(params.role_name ?? "");
          return role && { data: { role_id: role.roleId } };
        },
        update: ({ params, fields }) => {
          const role = requireRole(state, params.role_name);
          const roleId = fields.string("role_id");
          if (!roleId) throw badRequest("missing role_id");
          if (state.roleIdInUse(roleId, role.name)) throw badRequest("role_id already in use");
          state.putRole({ ...role, roleId }, role.roleId);
        },
      },
    },
  ];
}
