/**
 * The system backend at sys/: status, mounts, policies, wrapping and capabilities.
 */
import { policyRoutes } from "../acl/routes.ts";
import type { SimContext } from "../core/context.ts";
import { badRequest } from "../core/errors.ts";
import type { Backend, LogicalRequest, Route } from "../core/logical.ts";
import { wrappingRoutes } from "../wrapping/routes.ts";
import { type BackendFactory, mountRoutes } from "./mounts.ts";
import { type ClusterIdentity, statusRoutes } from "./status.ts";

function capabilitiesRoutes(context: SimContext): Route[] {
  const answer = (policies: string[], request: LogicalRequest) => {
    const paths = request.fields.strings("paths") ?? request.fields.strings("path");
    if (!paths || paths.length === 0) throw badRequest("missing paths");
    const acl = context.policies.aclFor(policies);
    const data: Record<string, unknown> = {};
    for (const path of paths) data[path] = [...acl.capabilities(path.replace(/^\/+/, ""))].sort();
    if (paths.length === 1) data.capabilities = data[paths[0] ?? ""];
    return { data };
  };
  return [
    {
      pattern: "capabilities-self",
      fields: { paths: "strings", path: "strings" },
      operations: { update: (r) => answer(r.token?.policies ?? [], r) },
    },
    {
      pattern: "capabilities",
      fields: { paths: "strings", path: "strings", token: "string" },
      operations: {
        update: (r) => {
          const target = context.tokens.lookup(r.fields.string("token") ?? "");
          if (!target) throw badRequest("invalid token");
          return answer(target.policies, r);
        },
      },
    },
  ];
}

export function sysBackend(
  context: SimContext,
  factories: Record<string, BackendFactory>,
  cluster: ClusterIdentity,
): Backend {
  return {
    type: "system",
    routes: [
      ...statusRoutes(context, cluster),
      ...mountRoutes(context, factories),
      ...policyRoutes(context.policies),
      ...wrappingRoutes(context),
      ...capabilitiesRoutes(context),
    ],
  };
}
