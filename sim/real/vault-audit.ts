/**
 * Reads a real Vault's file audit log (log_raw) into the stand-in's SimStats, so the tests' observations ("exactly
 * one secret_id for this pod UID", "one login per pod address", every issued secret for leak checks) hold for the
 * real server exactly as for the stand-in.
 *
 * Audit entries come in request/response pairs; only responses are read, since they carry the request too. A mint
 * is `auth/<mount>/role/<role>/secret-id` (update, no error); the secret_id's accessor is learnt when its wrapping
 * token is unwrapped (the wrapped answer hides it), matched by the wrapping token's accessor. Reads catch up synchronously before every query, so nothing
 * Vault has written is missed by a check made right after.
 */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import * as v from "valibot";
import { type MintRecord, SimStats } from "../vault/core/stats.ts";

const AuditResponseSchema = v.object({
  type: v.literal("response"),
  time: v.optional(v.string()),
  error: v.optional(v.string()),
  request: v.object({
    path: v.string(),
    operation: v.optional(v.string()),
    remote_address: v.optional(v.string()),
    client_token_accessor: v.optional(v.string()),
    wrap_ttl: v.optional(v.number()),
    data: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  }),
  response: v.optional(
    v.object({
      auth: v.optional(
        v.nullable(
          v.object({
            client_token: v.optional(v.string()),
            metadata: v.optional(v.nullable(v.record(v.string(), v.string()))),
          }),
        ),
      ),
      data: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
      wrap_info: v.optional(v.nullable(v.object({ token: v.string(), accessor: v.optional(v.string()) }))),
    }),
  ),
});
type AuditResponse = v.InferOutput<typeof AuditResponseSchema>;

const SECRET_ID_PATH = /^auth\/[^/]+\/role\/([^/]+)\/secret-id$/;
const POLL_MS = 25;

function stringMap(value: unknown): Record<string, string> {
  if (typeof value === "string" && value.trim() !== "") {
    try {
      return stringMap(JSON.parse(value));
    } catch {
      return {};
    }
  }
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string")
    return value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  return [];
}

/** Vault's audit records no HTTP status; an entry with an error is a refusal. */
function statusOf(entry: AuditResponse): number {
  if (!entry.error) return 200;
  return /permission denied/i.test(entry.error) ? 403 : 400;
}

class AuditStats extends SimStats {
  constructor(private readonly catchUp: () => void) {
    super();
  }
  override mintedSecretIds(role?: string): MintRecord[] {
    this.catchUp();
    return super.mintedSecretIds(role);
  }
  override secretIdsMinted(role?: string): number {
    this.catchUp();
    return super.secretIdsMinted(role);
  }
  override logins(role?: string): number {
    this.catchUp();
    return super.logins(role);
  }
}

export interface VaultAuditFollower {
  stats: SimStats;
  stop(): void;
}

export function followVaultAudit(path: string): VaultAuditFollower {
  let offset = 0;
  let pending = "";
  // By the wrapping token's accessor: the audit shows the token the controller got in its external form and the
  // one the unwrap used in its internal form, but the same accessor for both.
  const mintsByWrappingAccessor = new Map<string, MintRecord>();
  const apply = (entry: AuditResponse) => {
    const { request, response } = entry;
    const at = entry.time ? Date.parse(entry.time) : Date.now();
    stats.record({
      at,
      method: request.operation ?? "",
      path: request.path,
      status: statusOf(entry),
      remoteAddress: request.remote_address ?? "",
      wrapped: (request.wrap_ttl ?? 0) > 0,
    });
    if (entry.error) return;
    const clientToken = response?.auth?.client_token;
    if (clientToken) stats.secretIssued("token", clientToken);
    const wrapping = response?.wrap_info?.token;
    if (wrapping) stats.secretIssued("token", wrapping);
    const role = SECRET_ID_PATH.exec(request.path)?.[1];
    if (role && request.operation === "update") {
      const data = request.data ?? {};
      const record = stats.countSecretIdMinted(role, {
        at,
        accessor: String(response?.data?.secret_id_accessor ?? ""),
        metadata: stringMap(data.metadata),
        cidrList: stringList(data.cidr_list),
        numUses: Number(data.num_uses ?? 0),
        ttl: Number(data.ttl ?? 0),
      });
      const wrappingAccessor = response?.wrap_info?.accessor;
      if (record && wrappingAccessor) mintsByWrappingAccessor.set(wrappingAccessor, record);
      const secretId = response?.data?.secret_id;
      if (typeof secretId === "string") stats.secretIssued("secret-id", secretId);
    }
    if (request.path === "sys/wrapping/unwrap") {
      const secretId = response?.data?.secret_id;
      if (typeof secretId === "string") stats.secretIssued("secret-id", secretId);
      const wrappingAccessor = request.client_token_accessor ?? "";
      const mint = mintsByWrappingAccessor.get(wrappingAccessor);
      const accessor = response?.data?.secret_id_accessor;
      if (mint && typeof accessor === "string") {
        mint.accessor = accessor;
        mintsByWrappingAccessor.delete(wrappingAccessor);
      }
    }
    if (SECRET_ID_PATH.test(request.path) === false && /^auth\/[^/]+\/login$/.test(request.path))
      stats.countLogin(response?.auth?.metadata?.role_name ?? "");
  };
  const catchUp = () => {
    if (!existsSync(path)) return;
    const fd = openSync(path, "r");
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, offset);
        if (read <= 0) break;
        offset += read;
        pending += buffer.subarray(0, read).toString("utf8");
      }
    } finally {
      closeSync(fd);
    }
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      let decoded: unknown;
      try {
        decoded = JSON.parse(line);
      } catch {
        continue;
      }
      const parsed = v.safeParse(AuditResponseSchema, decoded);
      if (parsed.success) apply(parsed.output);
    }
  };
  const stats = new AuditStats(catchUp);
  const timer = setInterval(catchUp, POLL_MS);
  return {
    stats,
    stop() {
      clearInterval(timer);
      catchUp();
    },
  };
}
