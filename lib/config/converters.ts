/**
 * Converters from one variable's text to a typed value, shared by the env schemas and the annotation parser.
 *
 * Contract: pure; a refusal says what is wrong and how to fix it without quoting the value when the converter is
 * told the value is secret (and never quotes long values, which might be pasted secrets).
 */
import { isIP } from "node:net";
import { DURATION_EXAMPLES, DurationSyntaxError, parseDuration } from "./duration.ts";
import { accept, type Converted, type Converter, refuse } from "./fields.ts";

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type ConfigLogLevel = (typeof LOG_LEVELS)[number];

const TRUE_WORDS = new Set(["true", "1", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "no"]);

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Short values are quoted to help the reader; long ones could be a misplaced secret, so they are only described. */
function quoted(text: string): string {
  return text.length <= 64 && !hasControlCharacters(text) ? `"${text}"` : `a ${text.length}-character value`;
}

export const text: Converter<string> = (raw) => accept(raw.trim());

export const bool: Converter<boolean> = (raw) => {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return accept(true);
  if (FALSE_WORDS.has(word)) return accept(false);
  return refuse(`${quoted(raw.trim())} is not a boolean`, "use true or false (1/0 and yes/no also work)");
};

export function duration(options: { minMs?: number; maxMs?: number } = {}): Converter<number> {
  return (raw) => {
    let ms: number;
    try {
      ms = parseDuration(raw);
    } catch (error) {
      const reason = error instanceof DurationSyntaxError ? error.reason : "it is not a duration";
      const detail = reason === "it is not a duration" ? "" : ` (${reason})`;
      return refuse(`${quoted(raw.trim())} is not a duration${detail}`, `use ${DURATION_EXAMPLES}`);
    }
    if (options.minMs !== undefined && ms < options.minMs)
      return refuse(
        `${quoted(raw.trim())} is shorter than the minimum ${options.minMs / 1000}s`,
        `use at least ${options.minMs / 1000}s`,
      );
    if (options.maxMs !== undefined && ms > options.maxMs)
      return refuse(
        `${quoted(raw.trim())} is longer than the maximum ${options.maxMs / 1000}s`,
        `use at most ${options.maxMs / 1000}s`,
      );
    return accept(ms);
  };
}

export function integer(min: number, max: number): Converter<number> {
  return (raw) => {
    const trimmed = raw.trim();
    if (!/^\d+$/.test(trimmed))
      return refuse(`${quoted(trimmed)} is not a whole number`, `use a number from ${min} to ${max}`);
    const value = Number(trimmed);
    if (value < min || value > max)
      return refuse(`${value} is outside ${min}..${max}`, `use a number from ${min} to ${max}`);
    return accept(value);
  };
}

export const port: Converter<number> = (raw) => {
  const converted = integer(1, 65535)(raw);
  return converted.ok
    ? converted
    : refuse(`${quoted(raw.trim())} is not a TCP port`, "use a port number from 1 to 65535");
};

export const logLevel: Converter<ConfigLogLevel> = (raw) => {
  const level = raw.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level)
    ? accept(level as ConfigLogLevel)
    : refuse(`${quoted(raw.trim())} is not a log level`, `use one of ${LOG_LEVELS.join(", ")}`);
};

export const ipAddress: Converter<string> = (raw) => {
  const trimmed = raw.trim();
  return isIP(trimmed) !== 0
    ? accept(trimmed)
    : refuse(
        `${quoted(trimmed)} is not an IPv4 or IPv6 address`,
        "set it from the downward API: valueFrom.fieldRef.fieldPath: status.podIP",
      );
};

/** Paths are checked for shape only; reading (and PEM checks) happen in files.ts when the program starts. */
export const filePath: Converter<string> = (raw) => {
  const trimmed = raw.trim();
  if (trimmed.includes("\0")) return refuse("the path contains a NUL character", "use an ordinary file path");
  if (trimmed.endsWith("/"))
    return refuse(
      `${quoted(trimmed)} names a directory, not a file`,
      "give the path of the file itself, e.g. /etc/vault/ca.crt",
    );
  return accept(trimmed);
};

export const directoryPath: Converter<string> = (raw) => {
  const trimmed = raw.trim();
  if (trimmed.includes("\0"))
    return refuse("the path contains a NUL character", "use an ordinary directory path");
  return accept(trimmed.length > 1 ? trimmed.replace(/\/+$/, "") : trimmed);
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

export const dns1123Label: Converter<string> = (raw) => {
  const trimmed = raw.trim();
  return isDns1123Label(trimmed)
    ? accept(trimmed)
    : refuse(
        `${quoted(trimmed)} is not a valid Kubernetes name (DNS-1123 label)`,
        "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
      );
};

export const dns1123Subdomain: Converter<string> = (raw) => {
  const trimmed = raw.trim();
  return trimmed.length <= 253 && DNS1123_SUBDOMAIN.test(trimmed)
    ? accept(trimmed)
    : refuse(
        `${quoted(trimmed)} is not a valid Kubernetes object name (DNS-1123 subdomain)`,
        "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
      );
};

/** Vault's rule for AppRole names, minus "." and ".." which would walk out of the role's API path. */
const APPROLE_NAME = /^[A-Za-z0-9._ -]+$/;

export function appRoleNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "it is empty";
  if (name !== name.trim()) return "it starts or ends with a space";
  if (new TextEncoder().encode(name).byteLength >= 4096) return "it is 4096 bytes or longer";
  if (!APPROLE_NAME.test(name)) return "it contains characters Vault does not allow in an AppRole name";
  if (name === "." || name === "..") return "it is a path step, not a name";
  return undefined;
}

export const APPROLE_NAME_FIX =
  "use the AppRole's name as in `vault list auth/approle/role`: letters, digits, '.', '-', '_' and spaces";

export const appRoleName: Converter<string> = (raw) => {
  const problem = appRoleNameProblem(raw);
  return problem === undefined
    ? accept(raw)
    : refuse(`${quoted(raw)} is not a valid AppRole name: ${problem}`, APPROLE_NAME_FIX);
};

/** A Vault mount path such as "pki" or "pki/intermediate" (no leading or trailing slash). */
export const mountPath: Converter<string> = (raw) => {
  const trimmed = raw.trim().replace(/^\/+|\/+$/g, "");
  const steps = trimmed.split("/");
  return trimmed !== "" &&
    steps.every((step) => /^[A-Za-z0-9._-]+$/.test(step) && step !== "." && step !== "..")
    ? accept(trimmed)
    : refuse(
        `${quoted(raw.trim())} is not a Vault mount path`,
        "use the mount's path as listed by `vault secrets list`, e.g. pki",
      );
};

/** A comma-separated list; blank items are dropped; each item is checked by `item`. */
export function commaList<T>(item: Converter<T>): Converter<T[]> {
  return (raw) => {
    const values: T[] = [];
    for (const part of raw
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "")) {
      const converted: Converted<T> = item(part);
      if (!converted.ok) return refuse(`item ${quoted(part)}: ${converted.problem}`, converted.fix);
      values.push(converted.value);
    }
    return accept(values);
  };
}

/** A secret: checked for shape only, described by length at most, never quoted. */
export function secret(options: { minBytes?: number; what: string; fix: string }): Converter<string> {
  return (raw) => {
    const value = raw.trim();
    const bytes = new TextEncoder().encode(value).byteLength;
    if (/\s/.test(value) || hasControlCharacters(value))
      return refuse(`the ${options.what} contains whitespace or control characters`, options.fix);
    if (options.minBytes !== undefined && bytes < options.minBytes)
      return refuse(
        `the ${options.what} is ${bytes} bytes long; at least ${options.minBytes} are required`,
        options.fix,
      );
    return accept(value);
  };
}
