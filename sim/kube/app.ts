/**
 * The API server stand-in as a Hono app (no sockets: `app.fetch(Request)`; index.ts binds it over HTTPS).
 *
 * Authentication is bearer tokens only: a missing or unknown token is 401 Unauthorized, as with anonymous auth
 * disabled, except on the public-info endpoints (/healthz, /livez, /readyz, /version) that RBAC's
 * system:public-info-viewer opens to everyone. The read-only token may get, list and watch; any other verb is a
 * 403 Forbidden Status worded like RBAC's. Every error is a `Status` object.
 */
import { type Context, Hono } from "hono";
import type { Cluster } from "./cluster.ts";
import {
  apiGroup,
  apiGroupList,
  apiVersions,
  coreResourceList,
  groupResourceList,
  versionInfo,
} from "./discovery.ts";
import type { Json, JsonObject } from "./json.ts";
import { checkDeleteOptions } from "./object-schema.ts";
import { getObject, type ListQuery, listObjects } from "./reads.ts";
import { resolveTarget, type Target } from "./routes.ts";
import { parseFieldSelector, parseLabelSelector } from "./selectors/index.ts";
import { ApiError, apiErrors, statusResponse } from "./status.ts";
import { resourceVersionOf, toTable, wantsTable } from "./table.ts";
import { DEFAULT_WATCH_TIMEOUT_MS, type WatchHub } from "./watch.ts";
import type { Writes } from "./writes.ts";

export interface KubeAppOptions {
  cluster: Cluster;
  writes: Writes;
  watches: WatchHub;
  tokens: { admin: string; readOnly: string };
  /** host:port advertised in /api (known only once the port is bound). */
  serverAddress: () => string;
}

export const ADMIN_USER = "kube-sim-admin";
export const READ_ONLY_USER = "system:serviceaccount:kube-system:kube-sim-reader";
const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);
const VERB_BY_METHOD: Record<string, string> = {
  POST: "create",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

function userFor(authorization: string | undefined, tokens: KubeAppOptions["tokens"]): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (match?.[1] === tokens.admin) return ADMIN_USER;
  if (match?.[1] === tokens.readOnly) return READ_ONLY_USER;
  return undefined;
}

async function readJson(request: Request): Promise<Json> {
  const text = await request.text();
  if (!text.trim()) return null;
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw apiErrors.badRequest(
      `the body of the request could not be decoded as JSON: ${(error as Error).message}`,
    );
  }
}

function isTrue(value: string | undefined): boolean {
  return value === "true" || value === "1";
}

function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw apiErrors.badRequest(`${name}: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

/** An int64 query parameter that may be negative (gracePeriodSeconds: a negative grace means 1 s). */
function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw apiErrors.badRequest(`${name}: Invalid value: "${value}": must be an integer`);
  return Number(value);
}

export type KubeApp = Hono<{ Variables: { user: string } }>;

/** The subresources PUT and PATCH address: `status` (a create-only one such as binding was answered before). */
function statusOnly(subresource: Target["subresource"]): "status" | undefined {
  return subresource === "status" ? "status" : undefined;
}

export function createKubeApp(options: KubeAppOptions): KubeApp {
  const { cluster, writes, watches } = options;
  const app = new Hono<{ Variables: { user: string } }>();

  app.onError((error) => {
    if (error instanceof ApiError) return statusResponse(error.status);
    return statusResponse({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `Internal error occurred: ${error.message}`,
      reason: "InternalError",
      code: 500,
    });
  });
  app.notFound(() => statusResponse(apiErrors.noSuchPath().status));

  app.use("*", async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path)) return next();
    const user = userFor(c.req.header("authorization"), options.tokens);
    if (!user) throw apiErrors.unauthorized();
    c.set("user", user);
    return next();
  });

  for (const path of ["/healthz", "/livez", "/readyz"]) app.get(path, (c) => c.text("ok"));
  app.get("/version", (c) => c.json(versionInfo()));
  app.get("/api", (c) => c.json(apiVersions(options.serverAddress())));
  app.get("/apis", (c) => c.json(apiGroupList()));
  app.get("/api/v1", (c) => c.json(coreResourceList()));
  app.get("/apis/:group", (c) => {
    const group = apiGroup(c.req.param("group"));
    if (!group) throw apiErrors.noSuchPath();
    return c.json(group);
  });

  /** Everything under /api/v1 or /apis/<group>/<version>: the group's discovery document, or a resource. */
  const serveGroup = async (c: Context<{ Variables: { user: string } }>, group: string, version: string) => {
    const segments = c.req.path
      .split("/")
      .filter(Boolean)
      .slice(group ? 3 : 2);
    const document = group ? groupResourceList(group, version) : coreResourceList();
    if (!document) throw apiErrors.noSuchPath();
    const target = resolveTarget(segments, group);
    if (!target) {
      if (c.req.method !== "GET") throw apiErrors.methodNotAllowed();
      return c.json(document);
    }
    const method = c.req.method;
    const verb = VERB_BY_METHOD[method];
    const user = c.get("user");
    const query = (name: string) => c.req.query(name);
    // Authorization refuses in the filter chain, before the route handler that adds a deprecated type's warning.
    if (verb && user === READ_ONLY_USER)
      throw apiErrors.forbidden(user, verb, target.type, target.namespace, target.subresource);
    const answer = () => dispatch(target, method, c.req.raw, query);
    const warning = target.type.deprecationWarning;
    if (!warning) return answer();
    // Its route handler warns on every request it serves, errors included (AddWarningsHandler, code 299).
    const response = await answer().catch((error: unknown) => {
      if (error instanceof ApiError) return statusResponse(error.status);
      throw error;
    });
    response.headers.append("warning", `299 - ${JSON.stringify(warning)}`);
    return response;
  };
  app.all("/api/v1/*", (c) => serveGroup(c, "", "v1"));
  app.all("/apis/:group/:version", (c) => serveGroup(c, c.req.param("group"), c.req.param("version")));
  app.all("/apis/:group/:version/*", (c) => serveGroup(c, c.req.param("group"), c.req.param("version")));

  async function dispatch(
    target: Target,
    method: string,
    request: Request,
    query: (name: string) => string | undefined,
  ): Promise<Response> {
    const { type, namespace, name, subresource } = target;
    const watch = target.watchPrefix || isTrue(query("watch"));
    const asTable = wantsTable(request.headers.get("accept") ?? undefined);
    const tableOf = (objects: readonly JsonObject[], metadata: JsonObject) =>
      toTable(type, objects, metadata, new Date());
    if (method === "GET" && (watch || name === undefined)) {
      if (subresource) throw apiErrors.methodNotAllowed();
      const labelSelector = query("labelSelector");
      const nameSelector = name === undefined ? undefined : `metadata.name=${name}`;
      const fieldSelector = [query("fieldSelector"), nameSelector].filter(Boolean).join(",");
      const labels = parseLabelSelector(labelSelector);
      const fields = parseFieldSelector(fieldSelector, type.fields);
      if (watch) {
        const timeoutSeconds = nonNegativeInteger("timeoutSeconds", query("timeoutSeconds"));
        return watches.start({
          type,
          namespace,
          labels,
          fields,
          resourceVersion: query("resourceVersion"),
          allowBookmarks: isTrue(query("allowWatchBookmarks")),
          sendInitialEvents: isTrue(query("sendInitialEvents")),
          timeoutMs: timeoutSeconds ? timeoutSeconds * 1000 : DEFAULT_WATCH_TIMEOUT_MS,
          ...(asTable
            ? {
                present: (object: JsonObject) =>
                  tableOf([object], { resourceVersion: resourceVersionOf(object) }),
              }
            : {}),
        });
      }
      const listQuery: ListQuery = {
        namespace,
        labels,
        fields,
        filtered: Boolean(labelSelector || fieldSelector),
        limit: nonNegativeInteger("limit", query("limit")),
        continueToken: query("continue") || undefined,
        resourceVersion: query("resourceVersion"),
        resourceVersionMatch: query("resourceVersionMatch") || undefined,
      };
      const list = listObjects(cluster, type, listQuery);
      if (!asTable) return Response.json(list);
      return Response.json(tableOf(list.items as JsonObject[], list.metadata as JsonObject));
    }
    if (name === undefined) {
      if (method !== "POST" || (type.namespaced && !namespace)) throw apiErrors.methodNotAllowed();
      return Response.json(writes.create(type, namespace, await readJson(request)), { status: 201 });
    }
    if (subresource === "binding") {
      // pods/binding takes only create; the real server answers 201 with a Success Status.
      if (method !== "POST" || !namespace) throw apiErrors.methodNotAllowed();
      return Response.json(writes.bind(namespace, name, await readJson(request)), { status: 201 });
    }
    switch (method) {
      case "GET": {
        const object = getObject(cluster, type, namespace, name);
        if (!asTable) return Response.json(object);
        return Response.json(tableOf([object], { resourceVersion: resourceVersionOf(object) }));
      }
      case "PUT":
        return Response.json(
          writes.update(type, namespace, name, await readJson(request), statusOnly(subresource)),
        );
      case "PATCH": {
        const contentType = request.headers.get("content-type") ?? "";
        const body = await readJson(request);
        return Response.json(writes.patch(type, namespace, name, contentType, body, statusOnly(subresource)));
      }
      case "DELETE": {
        if (subresource) throw apiErrors.methodNotAllowed();
        const body = await readJson(request);
        // As the real handler: DeleteOptions come from the body when there is one, else from the query.
        const options = checkDeleteOptions(body);
        const grace = integer("gracePeriodSeconds", query("gracePeriodSeconds"));
        if (body === null && grace !== undefined) options.gracePeriodSeconds = grace;
        return Response.json(writes.delete(type, namespace, name, options));
      }
      default:
        throw apiErrors.methodNotAllowed();
    }
  }

  return app;
}
