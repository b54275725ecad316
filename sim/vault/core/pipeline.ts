/**
 * One HTTP request through the sim, in Vault's order: route to a mount, decide the operation (LIST and
 * GET ?list=true are "list"; POST/PUT are "create" or "update" by the route's existence check), authenticate the
 * token (X-Vault-Token or Authorization: Bearer), check the ACL and the token's bound CIDRs, count a token use,
 * run the handler, wrap the answer when X-Vault-Wrap-TTL asks for it, and revoke a token whose last use this was.
 */
import * as v from "valibot";
import { ruleConstraintsAllow } from "../acl/constraints.ts";
import type { TokenEntry } from "../token/entry.ts";
import { wrapResponse } from "../wrapping/wrap.ts";
import { addressInAnyCidr, normalizeAddress } from "./cidr.ts";
import type { Mount, SimContext } from "./context.ts";
import { parseDurationSeconds } from "./duration.ts";
import { envelope, errorResponse } from "./envelope.ts";
import {
  badRequest,
  invalidToken,
  invalidWrappingToken,
  multierror,
  noHandler,
  permissionDenied,
  unsupportedOperation,
  unsupportedPath,
  VaultHttpError,
} from "./errors.ts";
import { type JsonObject, JsonObjectSchema, parseFields } from "./fields.ts";
import { type LogicalRequest, type LogicalResponse, matchRoute, type Operation } from "./logical.ts";

/** What a sealed Vault still answers. */
const SEAL_EXEMPT = new Set(["sys/health", "sys/seal-status", "sys/leader"]);

function operationOf(method: string, url: URL): Operation | undefined {
  switch (method) {
    case "GET":
    case "HEAD":
      return url.searchParams.get("list") === "true" ? "list" : "read";
    case "LIST":
      return "list";
    case "POST":
    case "PUT":
      return "update";
    case "DELETE":
      return "delete";
    default:
      return undefined;
  }
}

async function readBody(request: Request, operation: Operation, url: URL): Promise<JsonObject> {
  if (operation === "read" || operation === "list") {
    // Vault hands query parameters of reads to the backend as fields (sys/health?standbycode=...).
    const query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== "list"));
    return query;
  }
  const text = await request.text();
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`failed to parse JSON input: ${error instanceof Error ? error.message : String(error)}`);
  }
  const object = v.safeParse(JsonObjectSchema, parsed);
  if (!object.success) throw badRequest("failed to parse JSON input: the body must be a JSON object");
  return object.output;
}

function clientToken(headers: Headers): string | undefined {
  const header = headers.get("x-vault-token")?.trim();
  if (header) return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "");
  return bearer?.[1]?.trim() || undefined;
}

function wrapTtlOf(headers: Headers): number | undefined {
  const value = headers.get("x-vault-wrap-ttl");
  if (value === null || value.trim() === "") return undefined;
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined)
    throw badRequest(`error parsing wrap TTL: ${JSON.stringify(value)} is not a duration`);
  if (seconds === 0) return undefined;
  return seconds;
}

function findMount(context: SimContext, path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const mount of context.mounts.values()) {
    if (
      (path.startsWith(mount.path) || `${path}/` === mount.path) &&
      mount.path.length > (best?.path.length ?? 0)
    )
      best = mount;
  }
  return best;
}

export interface PipelineResult {
  response: Response;
  status: number;
  path: string;
  wrapped: boolean;
}

export function createPipeline(context: SimContext) {
  const { tokens, policies, ids, clock } = context;

  function authenticate(token: string | undefined, remoteAddress: string): TokenEntry {
    if (!token) throw permissionDenied();
    const entry = tokens.lookup(token);
    if (!entry) throw invalidToken();
    if (entry.boundCidrs.length > 0 && !addressInAnyCidr(remoteAddress, entry.boundCidrs))
      throw permissionDenied();
    return entry;
  }

  async function run(
    request: Request,
    remoteAddress: string,
  ): Promise<{ response: Response; path: string; wrapped: boolean }> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/v1/"))
      return { response: errorResponse(404, []), path: url.pathname, wrapped: false };
    let path = url.pathname.slice("/v1/".length).replace(/^\/+/, "");
    const operationFromMethod = operationOf(request.method.toUpperCase(), url);
    if (!operationFromMethod) throw unsupportedOperation();
    let operation: Operation = operationFromMethod;
    if (operation === "list" && !path.endsWith("/")) path += "/";
    if (context.seal.sealed && !SEAL_EXEMPT.has(path)) throw new VaultHttpError(503, ["Vault is sealed"]);
    const mount = findMount(context, path);
    if (!mount) throw noHandler(path);
    const match = matchRoute(mount.backend, path.slice(mount.path.length));
    if (!match) throw unsupportedPath();
    const { route, params } = match;
    if (operation === "update" && route.exists && !route.exists(params)) operation = "create";
    const handler =
      route.operations[operation] ?? (operation === "create" ? route.operations.update : undefined);
    if (!handler) throw unsupportedOperation();
    const body = await readBody(request, operation, url);
    const wrapTtl = wrapTtlOf(request.headers);
    const address = normalizeAddress(remoteAddress);

    let token: TokenEntry | undefined;
    let capabilities: ReadonlySet<string> = new Set<string>();
    const headerToken = clientToken(request.headers);
    if (route.headerMayBeWrappingToken && body.token === undefined) {
      token = headerToken ? tokens.lookup(headerToken) : undefined;
      if (!token?.wrapping) throw invalidWrappingToken();
    } else if (!route.unauthenticated) {
      token = authenticate(headerToken, address);
      const acl = policies.aclFor(token.policies);
      if (!acl.allows(path, operation, route.sudo === true)) throw permissionDenied();
      if (!acl.root && !ruleConstraintsAllow(acl.ruleFor(path), body, wrapTtl)) throw permissionDenied();
      capabilities = acl.capabilities(path);
    }
    // A wrapping token presented for unwrap is spent by the unwrap itself, not by the use counter.
    const lastUse = token && !token.wrapping ? tokens.use(token) : false;
    try {
      const fields = parseFields(route.fields ?? {}, body, params);
      const logical: LogicalRequest = {
        path,
        mountPath: mount.path,
        operation,
        fields,
        params,
        token,
        capabilities,
        remoteAddress: address,
        wrapTtl,
        headers: request.headers,
      };
      const result = (await handler(logical)) ?? undefined;
      const warnings =
        fields.unknownNames.length > 0
          ? [`Endpoint ignored these unrecognized parameters: [${fields.unknownNames.join(" ")}]`]
          : [];
      const wrapInfo =
        wrapTtl !== undefined && result && !result.raw && !result.wrapInfo
          ? wrap(result, path, wrapTtl)
          : undefined;
      return {
        response: envelope({
          requestId: ids.uuid(),
          operation,
          response: result,
          warnings,
          ...(wrapInfo ? { wrapInfo } : {}),
        }),
        path,
        wrapped: wrapInfo !== undefined,
      };
    } finally {
      if (lastUse && token) tokens.revoke(token.id);
    }
  }

  function wrap(result: LogicalResponse, creationPath: string, ttl: number) {
    if (!result.data && !result.auth) return undefined;
    const data = result.data ?? null;
    const wrappedAccessor =
      result.auth?.accessor ?? (typeof data?.secret_id_accessor === "string" ? data.secret_id_accessor : "");
    return wrapResponse(
      tokens,
      {
        creationPath,
        body: { data, auth: result.auth ?? null, warnings: result.warnings ?? null },
        wrappedAccessor,
      },
      ttl,
    );
  }

  return async (request: Request, remoteAddress: string): Promise<PipelineResult> => {
    const started = clock.now();
    let outcome: { response: Response; path: string; wrapped: boolean };
    try {
      outcome = await run(request, remoteAddress);
    } catch (error) {
      const response =
        error instanceof VaultHttpError
          ? errorResponse(error.status, error.errors)
          : errorResponse(500, [multierror([error instanceof Error ? error.message : String(error)])]);
      outcome = { response, path: new URL(request.url).pathname.replace(/^\/v1\//, ""), wrapped: false };
    }
    context.stats.record({
      at: started,
      method: request.method,
      path: outcome.path,
      status: outcome.response.status,
      remoteAddress: normalizeAddress(remoteAddress),
      wrapped: outcome.wrapped,
    });
    return { ...outcome, status: outcome.response.status };
  };
}
