/**
 * Bytes <-> ledger commands and snapshots, so Raft can replicate and persist them.
 *
 * Contract: the encoding is UTF-8 JSON with a format version; decoding validates every field with valibot and throws
 * `LedgerCodecError` naming the field and the problem, never applying half-understood data.
 *
 * Compatibility: fields added since (generation, mode, token expiry, markFailed's secretIdAccessor) are optional,
 * so logs and snapshots of older controllers decode unchanged (generation 0, init mode), and the format version
 * stays 1. The `renewed` op is new: a controller of an older version cannot apply it, so upgrade every replica
 * before pods run in sidecar mode (only sidecar pods make a leader propose it).
 */
import * as v from "valibot";
import type { IssuanceEntry, LedgerCommand } from "./types.ts";

/** Bump when the shape changes; a replica must refuse bytes from a newer format instead of misreading them. */
export const LEDGER_FORMAT_VERSION = 1;

const Uid = v.pipe(v.string(), v.minLength(1, "must be a non-empty pod UID"));
const Name = v.pipe(v.string(), v.minLength(1, "must be a non-empty name"));
const RestartCount = v.pipe(v.number(), v.integer(), v.minValue(0, "must be a restart count >= 0"));
const Millis = v.pipe(v.number(), v.integer(), v.minValue(0, "must be milliseconds since the epoch"));
const Accessor = v.pipe(v.string(), v.minLength(1, "must be a non-empty accessor"));
const Generation = v.pipe(v.number(), v.integer(), v.minValue(0, "must be a generation >= 0"));
const Seconds = v.pipe(v.number(), v.integer(), v.minValue(0, "must be whole seconds >= 0"));
const Mode = v.picklist(["init", "sidecar"], 'must be "init" or "sidecar"');

const CommandSchema = v.variant("op", [
  v.object({
    op: v.literal("beginIssuing"),
    uid: Uid,
    namespace: Name,
    name: Name,
    role: Name,
    restartCount: RestartCount,
    generation: v.optional(Generation),
    at: Millis,
  }),
  v.object({
    op: v.literal("markPushed"),
    uid: Uid,
    restartCount: RestartCount,
    secretIdAccessor: v.optional(Accessor),
    at: Millis,
  }),
  v.object({
    op: v.literal("confirm"),
    uid: Uid,
    restartCount: RestartCount,
    generation: v.optional(Generation),
    tokenAccessor: v.optional(Accessor),
    secretIdAccessor: v.optional(Accessor),
    mode: v.optional(Mode),
    tokenExpiresAt: v.optional(Millis),
    tokenTtlSeconds: v.optional(Seconds),
    tokenRenewable: v.optional(v.boolean()),
    at: Millis,
  }),
  v.object({
    op: v.literal("markFailed"),
    uid: Uid,
    restartCount: RestartCount,
    generation: v.optional(Generation),
    reason: v.string(),
    secretIdAccessor: v.optional(Accessor),
    at: Millis,
  }),
  v.object({
    op: v.literal("renewed"),
    uid: Uid,
    restartCount: RestartCount,
    generation: Generation,
    tokenExpiresAt: Millis,
    at: Millis,
  }),
  v.object({ op: v.literal("markRevoked"), uid: Uid, at: Millis }),
  v.object({ op: v.literal("forget"), uid: Uid, at: Millis }),
]);

const EntrySchema = v.object({
  uid: Uid,
  namespace: Name,
  name: Name,
  role: Name,
  restartCount: RestartCount,
  generation: v.optional(Generation, 0),
  state: v.picklist(["issuing", "pushed", "confirmed", "failed", "revoked"]),
  mode: v.optional(Mode),
  tokenAccessor: v.optional(Accessor),
  secretIdAccessor: v.optional(Accessor),
  tokenExpiresAt: v.optional(Millis),
  tokenTtlSeconds: v.optional(Seconds),
  tokenRenewable: v.optional(v.boolean()),
  supersededTokenAccessors: v.array(Accessor),
  failureReason: v.optional(v.string()),
  createdAt: Millis,
  updatedAt: Millis,
  confirmedAt: v.optional(Millis),
});

const Envelope = <T extends v.GenericSchema>(body: T) =>
  v.object({
    version: v.literal(LEDGER_FORMAT_VERSION, "is a ledger format this controller does not know"),
    body,
  });

const CommandEnvelope = Envelope(CommandSchema);
const SnapshotEnvelope = Envelope(v.array(EntrySchema));

export class LedgerCodecError extends Error {
  constructor(what: string, detail: string) {
    super(`cannot decode a ledger ${what}: ${detail}`);
    this.name = "LedgerCodecError";
  }
}

function decode<T extends v.GenericSchema>(what: string, schema: T, bytes: Uint8Array): v.InferOutput<T> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new LedgerCodecError(what, `not UTF-8 JSON (${error instanceof Error ? error.message : error})`);
  }
  const result = v.safeParse(schema, json);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = issue ? (v.getDotPath(issue) ?? "(root)") : "(root)";
  throw new LedgerCodecError(what, `field ${field} ${issue?.message ?? "is invalid"}`);
}

const encode = (body: unknown): Uint8Array =>
  new TextEncoder().encode(JSON.stringify({ version: LEDGER_FORMAT_VERSION, body }));

export const encodeLedgerCommand = (command: LedgerCommand): Uint8Array => encode(command);
export const decodeLedgerCommand = (bytes: Uint8Array): LedgerCommand =>
  decode("command", CommandEnvelope, bytes).body;

export const encodeLedgerSnapshot = (entries: readonly IssuanceEntry[]): Uint8Array => encode(entries);
export const decodeLedgerSnapshot = (bytes: Uint8Array): IssuanceEntry[] =>
  decode("snapshot", SnapshotEnvelope, bytes).body;
