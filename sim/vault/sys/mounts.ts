/**
 * sys/auth and sys/mounts (api-docs/system/auth, api-docs/system/mounts): list, enable, disable and tune the auth
 * methods and secrets engines this sim can host. Like Vault, the listings repeat `data` at the top level.
 */
import type { Mount, SimContext } from "../core/context.ts";
import { parseDurationSeconds } from "../core/duration.ts";
import { badRequest } from "../core/errors.ts";
import type { Backend, LogicalRequest, Route } from "../core/logical.ts";

export type BackendFactory = (context: SimContext, mountPath: string) => Backend;

const BUILTIN = new Set(["sys/", "auth/token/"]);
const AUTH_TYPES = new Set(["approle", "token"]);

function mountJson(mount: Mount): Record<string, unknown> {
  return {
    accessor: mount.accessor,
    config: {
      default_lease_ttl: mount.defaultLeaseTtl,
      force_no_cache: false,
      max_lease_ttl: mount.maxLeaseTtl,
      ...(mount.path.startsWith("auth/") ? { token_type: "default-service" } : {}),
    },
    description: mount.description,
    external_entropy_access: false,
    local: mount.local,
    options: null,
    plugin_version: "",
    running_plugin_version: `v1.15.6+builtin${mount.type === "sys" || mount.type === "token" ? ".vault" : ""}`,
    running_sha256: "",
    seal_wrap: false,
    type: mount.type,
    uuid: mount.uuid,
  };
}

const hex8 = (context: SimContext): string => context.ids.uuid().slice(0, 8);

function normalize(path: string): string {
  return `${path.replace(/^\/+|\/+$/g, "")}/`;
}

export function addMount(
  context: SimContext,
  factories: Record<string, BackendFactory>,
  spec: { path: string; type: string; description?: string; maxLeaseTtl?: number; defaultLeaseTtl?: number },
): Mount {
  const factory = factories[spec.type];
  if (!factory) throw badRequest(`plugin not found in the catalog: ${spec.type}`);
  if ([...context.mounts.keys()].some((p) => p.startsWith(spec.path) || spec.path.startsWith(p)))
    throw badRequest(`path is already in use at ${spec.path}`);
  const mount: Mount = {
    path: spec.path,
    type: spec.type,
    description: spec.description ?? "",
    // Vault's accessor shapes: auth_approle_1a2b3c4d for auth methods, pki_1a2b3c4d for secrets engines.
    accessor: `${spec.path.startsWith("auth/") ? "auth_" : ""}${spec.type}_${hex8(context)}`,
    uuid: context.ids.uuid(),
    backend: factory(context, spec.path),
    defaultLeaseTtl: spec.defaultLeaseTtl ?? 0,
    maxLeaseTtl: spec.maxLeaseTtl ?? 0,
    local: false,
  };
  context.mounts.set(spec.path, mount);
  return mount;
}

const MOUNT_FIELDS = {
  type: "string",
  description: "string",
  config: "any",
  options: "any",
  local: "bool",
  seal_wrap: "bool",
  plugin_name: "string",
} as const;

function configTtls(request: LogicalRequest): { maxLeaseTtl?: number; defaultLeaseTtl?: number } {
  const config = request.fields.raw.config;
  if (typeof config !== "object" || config === null) return {};
  const read = (key: string): number | undefined => {
    const value = (config as Record<string, unknown>)[key];
    if (value === undefined) return undefined;
    const seconds =
      typeof value === "string" || typeof value === "number" ? parseDurationSeconds(value) : undefined;
    if (seconds === undefined)
      throw badRequest(`config.${key}: ${JSON.stringify(value)} is not a duration such as "87600h"`);
    return seconds;
  };
  const max = read("max_lease_ttl");
  const def = read("default_lease_ttl");
  return {
    ...(max === undefined ? {} : { maxLeaseTtl: max }),
    ...(def === undefined ? {} : { defaultLeaseTtl: def }),
  };
}

export function mountRoutes(context: SimContext, factories: Record<string, BackendFactory>): Route[] {
  const listing = (auth: boolean) => () => {
    const entries = Object.fromEntries(
      [...context.mounts.values()]
        .filter((m) => m.path.startsWith("auth/") === auth)
        .map((m) => [auth ? m.path.slice("auth/".length) : m.path, mountJson(m)]),
    );
    return { data: entries, topLevel: entries };
  };
  const enable = (auth: boolean) => (request: LogicalRequest) => {
    const type = request.fields.string("type") ?? request.fields.string("plugin_name");
    if (!type) throw badRequest("backend type must be specified as a string");
    // Auth methods and secrets engines live in separate catalogs: approle only under sys/auth, pki only under sys/mounts.
    if (AUTH_TYPES.has(type) !== auth) throw badRequest(`plugin not found in the catalog: ${type}`);
    const path = normalize(`${auth ? "auth/" : ""}${request.params.path ?? ""}`);
    addMount(context, factories, {
      path,
      type,
      description: request.fields.string("description") ?? "",
      ...configTtls(request),
    });
  };
  const disable = (auth: boolean) => (request: LogicalRequest) => {
    const path = normalize(`${auth ? "auth/" : ""}${request.params.path ?? ""}`);
    if (BUILTIN.has(path)) throw badRequest(`cannot unmount "${path}"`);
    context.mounts.delete(path);
  };
  const findMount = (request: LogicalRequest): Mount => {
    const mount = context.mounts.get(normalize(request.params.path ?? ""));
    if (!mount) throw badRequest(`cannot fetch sysview for path "${normalize(request.params.path ?? "")}"`);
    return mount;
  };
  return [
    { pattern: "auth", operations: { read: listing(true) } },
    {
      pattern: "auth/:path",
      fields: MOUNT_FIELDS,
      sudo: true,
      operations: { update: enable(true), delete: disable(true) },
    },
    { pattern: "mounts", operations: { read: listing(false) } },
    {
      pattern: "mounts/:path",
      fields: MOUNT_FIELDS,
      operations: { update: enable(false), delete: disable(false) },
    },
    {
      pattern: "mounts/:path/tune",
      fields: { max_lease_ttl: "duration", default_lease_ttl: "duration", description: "string" },
      operations: {
        read: (request) => {
          const mount = findMount(request);
          return {
            data: {
              default_lease_ttl: mount.defaultLeaseTtl || 2764800,
              max_lease_ttl: mount.maxLeaseTtl || 2764800,
              description: mount.description,
              force_no_cache: false,
            },
          };
        },
        update: (request) => {
          const mount = findMount(request);
          mount.maxLeaseTtl = request.fields.duration("max_lease_ttl") ?? mount.maxLeaseTtl;
          mount.defaultLeaseTtl = request.fields.duration("default_lease_ttl") ?? mount.defaultLeaseTtl;
          mount.description = request.fields.string("description") ?? mount.description;
        },
      },
    },
  ];
}
