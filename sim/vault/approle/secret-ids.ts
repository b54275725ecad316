/**
 * secret_ids of an AppRole (api-docs/auth/approle#generate-new-secret-id and the lookup/destroy endpoints):
 * minted with `metadata` (a JSON string of string values), `cidr_list`, `token_bound_cidrs`, `num_uses` and `ttl`,
 * each bounded by the role's own limits as Vault bounds them. Listing returns accessors, never secret_ids.
 */
import * as v from "valibot";
import { cidrsWithin } from "../core/cidr.ts";
import { rfc3339 } from "../core/clock.ts";
import type { SimContext } from "../core/context.ts";
import { badRequest, VaultHttpError } from "../core/errors.ts";
import { type LogicalRequest, listResponse, type Route } from "../core/logical.ts";
import { checkCidrs, requireRole } from "./roles.ts";
import type { AppRole, AppRoleState, SecretIdEntry } from "./state.ts";

const MetadataSchema = v.record(v.string(), v.string());
const NEVER = "0001-01-01T00:00:00Z";

function parseMetadata(text: string | undefined): Record<string, string> {
  if (text === undefined || text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`failed to parse metadata: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = v.safeParse(MetadataSchema, parsed);
  if (!result.success)
    throw badRequest("failed to parse metadata: it must be a JSON object of string values");
  return result.output;
}

function boundedCidrs(requested: string[] | undefined, roleBound: string[], field: string): string[] {
  if (!requested || requested.length === 0) return roleBound;
  checkCidrs(requested, field);
  if (roleBound.length > 0 && !cidrsWithin(requested, roleBound))
    throw badRequest(
      `failed to verify the CIDR restrictions set on the role: ${field} must be a subset of the role's`,
    );
  return requested;
}

export function secretIdData(entry: SecretIdEntry): Record<string, unknown> {
  return {
    cidr_list: entry.cidrList,
    creation_time: rfc3339(entry.creationTime),
    expiration_time: entry.expirationTime === null ? NEVER : rfc3339(entry.expirationTime),
    last_updated_time: rfc3339(entry.lastUpdatedTime),
    metadata: entry.metadata,
    secret_id_accessor: entry.accessor,
    secret_id_num_uses: entry.numUses,
    secret_id_ttl: entry.ttl,
    token_bound_cidrs: entry.tokenBoundCidrs,
  };
}

const SECRET_ID_FIELDS = {
  metadata: "string",
  cidr_list: "strings",
  token_bound_cidrs: "strings",
  num_uses: "int",
  ttl: "duration",
} as const;

export function secretIdRoutes(state: AppRoleState, context: SimContext): Route[] {
  const { clock, ids, stats } = context;

  const mint = (role: AppRole, request: LogicalRequest, secretId: string) => {
    if (!role.bindSecretId) throw badRequest(`bind_secret_id is not set on the role "${role.name}"`);
    const f = request.fields;
    const numUses = f.int("num_uses") ?? 0;
    if (numUses < 0) throw badRequest("num_uses cannot be negative");
    if (role.secretIdNumUses > 0 && numUses > role.secretIdNumUses)
      throw badRequest("num_uses cannot be higher than the role's secret_id_num_uses");
    const ttl = f.duration("ttl") ?? 0;
    if (role.secretIdTtl > 0 && ttl > role.secretIdTtl)
      throw badRequest("ttl cannot be longer than the role's secret_id_ttl");
    const now = clock.now();
    const effectiveTtl = ttl > 0 ? ttl : role.secretIdTtl;
    const entry: SecretIdEntry = {
      secretId,
      accessor: ids.uuid(),
      roleName: role.name,
      cidrList: boundedCidrs(f.strings("cidr_list"), role.secretIdBoundCidrs, "cidr_list"),
      tokenBoundCidrs: boundedCidrs(
        f.strings("token_bound_cidrs"),
        role.tokenBoundCidrs,
        "token_bound_cidrs",
      ),
      metadata: parseMetadata(f.string("metadata")),
      numUses: numUses > 0 ? numUses : role.secretIdNumUses,
      ttl: effectiveTtl,
      creationTime: now,
      expirationTime: effectiveTtl > 0 ? now + effectiveTtl * 1000 : null,
      lastUpdatedTime: now,
    };
    state.addSecret(entry);
    stats.countSecretIdMinted(role.name, {
      at: now,
      accessor: entry.accessor,
      metadata: { ...entry.metadata },
      cidrList: [...entry.cidrList],
      numUses: entry.numUses,
      ttl: entry.ttl,
    });
    stats.secretIssued("secret-id", entry.secretId);
    return {
      data: {
        secret_id: entry.secretId,
        secret_id_accessor: entry.accessor,
        secret_id_num_uses: entry.numUses,
        secret_id_ttl: entry.ttl,
      },
    };
  };

  const accessorNotFound = (accessor: string) =>
    new VaultHttpError(404, [
      `failed to find accessor entry for secret_id_accessor: ${JSON.stringify(accessor)}\n`,
    ]);

  const destroyBySecret = ({ params, fields }: LogicalRequest) => {
    const role = requireRole(state, params.role_name);
    const entry = state.secret(role.name, fields.string("secret_id") ?? "");
    if (entry) state.deleteSecret(entry);
  };
  const destroyByAccessor = ({ params, fields }: LogicalRequest) => {
    const role = requireRole(state, params.role_name);
    const accessor = fields.string("secret_id_accessor") ?? "";
    const entry = state.secretByAccessorId(role.name, accessor);
    if (!entry) throw accessorNotFound(accessor);
    state.deleteSecret(entry);
  };

  return [
    {
      pattern: "role/:role_name/secret-id",
      fields: SECRET_ID_FIELDS,
      operations: {
        update: (r) => mint(requireRole(state, r.params.role_name), r, ids.uuid()),
        list: ({ params }) => {
          const role = requireRole(state, params.role_name);
          return listResponse(state.secretsOf(role.name).map((e) => e.accessor));
        },
      },
    },
    {
      pattern: "role/:role_name/custom-secret-id",
      fields: { ...SECRET_ID_FIELDS, secret_id: "string" },
      operations: {
        update: (r) => {
          const secretId = r.fields.string("secret_id");
          if (!secretId) throw badRequest("missing secret_id");
          return mint(requireRole(state, r.params.role_name), r, secretId);
        },
      },
    },
    {
      pattern: "role/:role_name/secret-id/lookup",
      fields: { secret_id: "string" },
      operations: {
        update: ({ params, fields }) => {
          const role = requireRole(state, params.role_name);
          const secretId = fields.string("secret_id");
          if (!secretId) throw badRequest("missing secret_id");
          const entry = state.secret(role.name, secretId);
          return entry && { data: secretIdData(entry) };
        },
      },
    },
    {
      pattern: "role/:role_name/secret-id/destroy",
      fields: { secret_id: "string" },
      operations: { update: destroyBySecret, delete: destroyBySecret },
    },
    {
      pattern: "role/:role_name/secret-id-accessor/lookup",
      fields: { secret_id_accessor: "string" },
      operations: {
        update: ({ params, fields }) => {
          const role = requireRole(state, params.role_name);
          const accessor = fields.string("secret_id_accessor") ?? "";
          const entry = state.secretByAccessorId(role.name, accessor);
          if (!entry) throw accessorNotFound(accessor);
          return { data: secretIdData(entry) };
        },
      },
    },
    {
      pattern: "role/:role_name/secret-id-accessor/destroy",
      fields: { secret_id_accessor: "string" },
      operations: { update: destroyByAccessor, delete: destroyByAccessor },
    },
  ];
}
