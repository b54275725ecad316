/**
 * auth/approle/login (api-docs/auth/approle#login-with-approle). Vault's order, kept on purpose:
 * 1. role_id must name a role, secret_id must be a live secret_id of that role ("invalid role or secret ID");
 * 2. a limited secret_id loses one use (and is deleted on its last) BEFORE its cidr_list is checked, so a login
 *    from a wrong address still burns a use, exactly as Vault's validateBindSecretID does;
 * 3. the source address must lie in the secret_id's cidr_list and in the role's secret_id_bound_cidrs.
 * The token is an orphan carrying the role's token_* settings and metadata {role_name, ...secret_id metadata}.
 */
import { addressInAnyCidr } from "../core/cidr.ts";
import type { SimContext } from "../core/context.ts";
import { badRequest } from "../core/errors.ts";
import type { LogicalRequest, Route } from "../core/logical.ts";
import { authBlock } from "../token/entry.ts";
import type { AppRoleState, SecretIdEntry } from "./state.ts";

const INVALID = "invalid role or secret ID";

export function loginRoute(state: AppRoleState, context: SimContext, mountPath: string): Route {
  const consume = (entry: SecretIdEntry) => {
    if (entry.numUses === 0) return;
    if (entry.numUses === 1) state.deleteSecret(entry);
    else {
      entry.numUses -= 1;
      entry.lastUpdatedTime = context.clock.now();
    }
  };
  const login = (request: LogicalRequest) => {
    const roleId = request.fields.string("role_id");
    if (!roleId) throw badRequest("missing role_id");
    const role = state.roleByRoleId(roleId);
    if (!role) throw badRequest(INVALID);
    const address = request.remoteAddress;
    let metadata: Record<string, string> = {};
    let tokenBoundCidrs = role.tokenBoundCidrs;
    if (role.bindSecretId) {
      const secretId = request.fields.string("secret_id");
      if (!secretId) throw badRequest("missing secret_id");
      const entry = state.secret(role.name, secretId);
      if (!entry) throw badRequest(INVALID);
      consume(entry);
      if (entry.cidrList.length > 0 && !addressInAnyCidr(address, entry.cidrList))
        throw badRequest(
          `source address ${JSON.stringify(address)} unauthorized through CIDR restrictions on the secret ID`,
        );
      metadata = entry.metadata;
      if (entry.tokenBoundCidrs.length > 0) tokenBoundCidrs = entry.tokenBoundCidrs;
    }
    if (role.secretIdBoundCidrs.length > 0 && !addressInAnyCidr(address, role.secretIdBoundCidrs))
      throw badRequest(
        `source address ${JSON.stringify(address)} unauthorized through CIDR restrictions on the role`,
      );
    const mount = context.mounts.get(mountPath);
    const entry = context.tokens.create({
      policies: role.tokenNoDefaultPolicy ? role.tokenPolicies : [...role.tokenPolicies, "default"],
      meta: { ...metadata, role_name: role.name },
      displayName: mountPath.replace(/^auth\//, "").replace(/\/$/, ""),
      path: `${mountPath}login`,
      ttl: role.tokenTtl || mount?.defaultLeaseTtl || 0,
      maxTtl: role.tokenMaxTtl || mount?.maxLeaseTtl || 0,
      explicitMaxTtl: role.tokenExplicitMaxTtl,
      period: role.tokenPeriod,
      numUses: role.tokenNumUses,
      orphan: true,
      renewable: true,
      boundCidrs: tokenBoundCidrs,
    });
    context.stats.countLogin(role.name);
    return { auth: authBlock(entry, entry.creationTime) };
  };
  return {
    pattern: "login",
    fields: { role_id: "string", secret_id: "string" },
    unauthenticated: true,
    operations: { update: login },
  };
}
