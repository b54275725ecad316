/**
 * The AppRole auth method (api-docs/auth/approle), one instance per mount.
 */
import type { SimContext } from "../core/context.ts";
import type { Backend } from "../core/logical.ts";
import { loginRoute } from "./login.ts";
import { roleRoutes } from "./roles.ts";
import { secretIdRoutes } from "./secret-ids.ts";
import { AppRoleState } from "./state.ts";

export function approleBackend(context: SimContext, mountPath: string): Backend {
  const state = new AppRoleState(context.clock);
  return {
    type: "approle",
    routes: [
      ...roleRoutes(state, context.ids),
      ...secretIdRoutes(state, context),
      loginRoute(state, context, mountPath),
    ],
  };
}
