/**
 * valibot schemas for every message body: a decoded packet is trusted only after it passes these. Bounds
 * (name length, meta size, member count) keep an authenticated but buggy peer from making us allocate much.
 */
import * as v from "valibot";
import { isValidAddress } from "../address.ts";
import { MAX_META_BYTES } from "../defaults.ts";

const MAX_NAME_LENGTH = 253;
const MAX_MEMBERS = 10_000;

const name = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LENGTH));
const counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const address = v.pipe(
  v.strictObject({ host: v.string(), port: v.number() }),
  v.check(isValidAddress, "address must be an IPv4 or IPv6 literal with a port in 1-65535"),
);
export const metaSchema = v.pipe(
  v.record(v.string(), v.string()),
  v.check(
    (meta) => new TextEncoder().encode(JSON.stringify(meta)).length <= MAX_META_BYTES,
    "meta too large",
  ),
);
const sender = v.strictObject({ name, address });
const status = v.picklist(["alive", "suspect", "dead", "left"]);

export const bodySchemas = {
  ping: v.strictObject({ seq: counter, target: name, source: sender }),
  indirectPing: v.strictObject({ seq: counter, target: name, targetAddress: address, source: sender }),
  ack: v.strictObject({ seq: counter }),
  suspect: v.strictObject({ name, incarnation: counter, from: name }),
  alive: v.strictObject({ name, incarnation: counter, address, meta: metaSchema }),
  dead: v.strictObject({ name, incarnation: counter, from: name }),
  pushPull: v.strictObject({
    join: v.boolean(),
    reply: v.boolean(),
    source: sender,
    members: v.pipe(
      v.array(v.strictObject({ name, incarnation: counter, address, meta: metaSchema, status })),
      v.maxLength(MAX_MEMBERS),
    ),
  }),
} as const;
