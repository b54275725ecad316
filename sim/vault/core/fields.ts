/**
 * Request-body fields coerced the way Vault's framework does it: ints and bools accept strings, lists accept a
 * comma-separated string, durations accept "1h" or seconds. A value that does not convert is a 400 naming the field.
 * Fields a route does not declare are reported in `warnings`, as Vault does.
 */
import * as v from "valibot";
import { parseDurationSeconds } from "./duration.ts";
import { badRequest } from "./errors.ts";

export type FieldType = "string" | "int" | "bool" | "duration" | "strings" | "stringMap" | "any";

export type FieldSpec = Record<string, FieldType>;

export const JsonObjectSchema = v.record(v.string(), v.unknown());
export type JsonObject = v.InferOutput<typeof JsonObjectSchema>;

function conversionError(name: string, value: unknown, expected: string): Error {
  return badRequest(
    `error converting input ${JSON.stringify(value)} for field "${name}": expected ${expected}`,
  );
}

function toInt(name: string, value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  throw conversionError(name, value, "an integer");
}

function toBool(name: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1" || value === 1) return true;
  if (value === "false" || value === "0" || value === 0 || value === "") return false;
  throw conversionError(name, value, "a boolean");
}

function toStrings(name: string, value: unknown): string[] {
  if (typeof value === "string") {
    return value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  if (Array.isArray(value) && value.every((s) => typeof s === "string")) return value.map((s) => s.trim());
  throw conversionError(name, value, "a list of strings or a comma-separated string");
}

function toStringMap(name: string, value: unknown): Record<string, string> {
  const parsed = v.safeParse(v.record(v.string(), v.string()), value);
  if (parsed.success) return parsed.output;
  throw conversionError(name, value, "a map of strings");
}

function convert(name: string, type: FieldType, value: unknown): unknown {
  switch (type) {
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      throw conversionError(name, value, "a string");
    case "int":
      return toInt(name, value);
    case "bool":
      return toBool(name, value);
    case "duration": {
      const seconds =
        typeof value === "string" || typeof value === "number" ? parseDurationSeconds(value) : undefined;
      if (seconds === undefined) throw conversionError(name, value, 'a duration such as "90s", "1h" or 3600');
      return seconds;
    }
    case "strings":
      return toStrings(name, value);
    case "stringMap":
      return toStringMap(name, value);
    case "any":
      return value;
  }
}

export interface ParsedFields {
  raw: JsonObject;
  has(name: string): boolean;
  string(name: string): string | undefined;
  int(name: string): number | undefined;
  bool(name: string): boolean | undefined;
  /** Whole seconds. */
  duration(name: string): number | undefined;
  strings(name: string): string[] | undefined;
  stringMap(name: string): Record<string, string> | undefined;
  unknownNames: string[];
}

export function parseFields(
  spec: FieldSpec,
  body: JsonObject,
  pathParams: Record<string, string>,
): ParsedFields {
  const values = new Map<string, unknown>();
  for (const [name, value] of Object.entries(body)) {
    const type = spec[name];
    if (type && value !== null && value !== undefined) values.set(name, convert(name, type, value));
  }
  for (const [name, value] of Object.entries(pathParams)) values.set(name, value);
  const typed = <T>(name: string) => values.get(name) as T | undefined;
  return {
    raw: body,
    has: (name) => values.has(name),
    string: typed<string>,
    int: typed<number>,
    bool: typed<boolean>,
    duration: typed<number>,
    strings: typed<string[]>,
    stringMap: typed<Record<string, string>>,
    // A "*" entry marks routes that take arbitrary keys (sys/wrapping/wrap).
    unknownNames:
      "*" in spec ? [] : Object.keys(body).filter((name) => !(name in spec) && !(name in pathParams)),
  };
}
