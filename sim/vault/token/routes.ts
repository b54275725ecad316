/**
 * The token auth method at auth/token/ (api-docs/auth/token): create, lookup, renew and revoke, by token, by
 * accessor and for oneself, plus token roles.
 */
import type { SimContext } from "../core/context.ts";
import { badRequest, multierror, VaultHttpError } from "../core/errors.ts";
import type { Backend, LogicalRequest, Route } from "../core/logical.ts";
import { listResponse } from "../core/logical.ts";
import { CREATE_FIELDS, createToken } from "./create.ts";
import { authBlock, lookupData, type TokenEntry } from "./entry.ts";
import { type TokenRole, tokenRoleRoutes } from "./roles.ts";

const badToken = () => new VaultHttpError(403, ["bad token"]);
const invalidAccessor = () => badRequest(multierror(["invalid accessor"]));

export function tokenBackend(context: SimContext): Backend {
  const { tokens, clock } = context;
  const roles = new Map<string, TokenRole>();
  const self = (request: LogicalRequest): TokenEntry => {
    if (!request.token) throw badToken();
    return request.token;
  };
  const byTokenField = (request: LogicalRequest): TokenEntry => {
    const id = request.fields.string("token");
    if (!id) throw badRequest("missing token to lookup");
    const entry = tokens.lookup(id);
    if (!entry || entry.wrapping) throw badToken();
    return entry;
  };
  const byAccessorField = (request: LogicalRequest): TokenEntry => {
    const accessor = request.fields.string("accessor");
    if (!accessor) throw badRequest("missing accessor");
    const entry = tokens.lookupAccessor(accessor);
    if (!entry) throw invalidAccessor();
    return entry;
  };
  const renew = (entry: TokenEntry, request: LogicalRequest) => {
    const { warnings } = tokens.renew(entry, request.fields.duration("increment") ?? 0);
    return { auth: authBlock(entry, clock.now()), ...(warnings.length > 0 ? { warnings } : {}) };
  };
  const lookup = (entry: TokenEntry, includeId = true) => ({
    data: lookupData(entry, clock.now(), includeId),
  });

  const routes: Route[] = [
    {
      pattern: "create",
      fields: CREATE_FIELDS,
      operations: { update: (r) => createToken(tokens, r, { orphanEndpoint: false }) },
    },
    {
      pattern: "create-orphan",
      fields: CREATE_FIELDS,
      operations: { update: (r) => createToken(tokens, r, { orphanEndpoint: true }) },
    },
    {
      pattern: "create/:role_name",
      fields: CREATE_FIELDS,
      operations: {
        update: (r) => {
          const role = roles.get((r.params.role_name ?? "").toLowerCase());
          if (!role) throw badRequest(`unknown role ${r.params.role_name}`);
          return createToken(tokens, r, { orphanEndpoint: false, role });
        },
      },
    },
    {
      pattern: "lookup",
      fields: { token: "string" },
      operations: { update: (r) => lookup(byTokenField(r)) },
    },
    {
      pattern: "lookup-self",
      fields: { token: "string" },
      operations: { read: (r) => lookup(self(r)), update: (r) => lookup(self(r)) },
    },
    {
      pattern: "lookup-accessor",
      fields: { accessor: "string" },
      operations: { update: (r) => lookup(byAccessorField(r), false) },
    },
    {
      pattern: "renew",
      fields: { token: "string", increment: "duration" },
      operations: { update: (r) => renew(byTokenField(r), r) },
    },
    {
      pattern: "renew-self",
      fields: { increment: "duration" },
      operations: { update: (r) => renew(self(r), r) },
    },
    {
      pattern: "renew-accessor",
      fields: { accessor: "string", increment: "duration" },
      operations: {
        update: (r) => {
          const { auth, ...rest } = renew(byAccessorField(r), r);
          return { ...rest, auth: { ...auth, client_token: "" } };
        },
      },
    },
    {
      pattern: "revoke",
      fields: { token: "string" },
      operations: {
        update: (r) => {
          const id = r.fields.string("token");
          if (!id) throw badRequest("missing token to revoke");
          tokens.revoke(id);
        },
      },
    },
    { pattern: "revoke-self", operations: { update: (r) => tokens.revoke(self(r).id) } },
    {
      pattern: "revoke-accessor",
      fields: { accessor: "string" },
      operations: { update: (r) => tokens.revoke(byAccessorField(r).id) },
    },
    {
      pattern: "revoke-orphan",
      fields: { token: "string" },
      sudo: true,
      operations: { update: (r) => tokens.revokeOrphan(byTokenField(r).id) },
    },
    { pattern: "accessors", sudo: true, operations: { list: () => listResponse(tokens.accessors()) } },
    ...tokenRoleRoutes(roles),
  ];
  return { type: "token", routes };
}
