/**
 * The logical layer shared by every backend, shaped like Vault's logical.Request / logical.Response: a handler sees
 * an operation on a path and answers data, an auth block, a raw body, or nothing (a 204 for writes, a 404 for reads).
 */
import type { TokenEntry } from "../token/entry.ts";
import type { FieldSpec, JsonObject, ParsedFields } from "./fields.ts";

export type Operation = "read" | "list" | "create" | "update" | "delete";

export interface LogicalRequest {
  /** Full path below /v1/, without a leading slash; list paths end in "/" as in Vault. */
  path: string;
  mountPath: string;
  operation: Operation;
  fields: ParsedFields;
  params: Record<string, string>;
  /** The caller's token; undefined on unauthenticated paths. */
  token: TokenEntry | undefined;
  /** The caller's capabilities on `path` (root tokens get "root"). */
  capabilities: ReadonlySet<string>;
  remoteAddress: string;
  /** Seconds from X-Vault-Wrap-TTL; undefined when the caller did not ask for wrapping. */
  wrapTtl: number | undefined;
  headers: Headers;
}

export interface AuthBlock {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: "service";
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor: string;
}

export interface LogicalResponse {
  data?: JsonObject | null;
  auth?: AuthBlock | null;
  warnings?: string[];
  leaseDuration?: number;
  renewable?: boolean;
  /** Vault's sys/auth and sys/mounts repeat `data` at the top level for old clients. */
  topLevel?: JsonObject;
  /** Set by sys/wrapping/wrap and rewrap, which answer a wrapping token themselves. */
  wrapInfo?: WrapInfo;
  /** A non-JSON answer (ca/pem, ca). */
  raw?: { body: string | Uint8Array<ArrayBuffer>; contentType: string; status?: number };
}

/** `void` so that a write handler can simply end; no answer means 204 (write) or 404 (read), as in Vault. */
// biome-ignore lint/suspicious/noConfusingVoidType: a write handler that simply ends means 204, as in Vault.
export type HandlerResult = LogicalResponse | undefined | void;

export type Handler = (request: LogicalRequest) => HandlerResult | Promise<HandlerResult>;

export interface Route {
  /** Segments relative to the mount; ":name" captures one segment into params and fields. */
  pattern: string;
  fields?: FieldSpec;
  operations: Partial<Record<Operation, Handler>>;
  /** Vault's ExistenceCheck: POST/PUT is "create" when this says false, "update" otherwise. Absent = update. */
  exists?: (params: Record<string, string>) => boolean;
  unauthenticated?: boolean;
  /** The path also needs the sudo capability (Vault's PathsSpecial.Root). */
  sudo?: boolean;
  /** sys/wrapping/unwrap: without a `token` field the header token must be a live wrapping token. */
  headerMayBeWrappingToken?: boolean;
}

export interface Backend {
  type: string;
  routes: Route[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export function matchRoute(backend: Backend, relativePath: string): RouteMatch | undefined {
  const segments = relativePath.replace(/\/+$/, "").split("/");
  const relative = relativePath.replace(/\/+$/, "") === "" ? [] : segments;
  for (const route of backend.routes) {
    const pattern = route.pattern === "" ? [] : route.pattern.split("/");
    if (pattern.length !== relative.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((part, i) => {
      const actual = relative[i] ?? "";
      if (part.startsWith(":")) {
        params[part.slice(1)] = decodeURIComponent(actual);
        return actual !== "";
      }
      return part === actual;
    });
    if (ok) return { route, params };
  }
  return undefined;
}

export const listResponse = (keys: string[], extra: JsonObject = {}): LogicalResponse => ({
  data: { keys, ...extra },
});
