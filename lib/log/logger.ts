/**
 * Structured JSON logs, one object per line on stderr (stdout stays free for a program's real output).
 *
 * Contract: `LOG_LEVEL` picks the floor (debug < info < warn < error; default info, not debug as the original did).
 * Fields whose names say they carry a secret are replaced by "[redacted]" before printing, as a last line of defence:
 * callers must still never pass a token, secret_id or wrapping token as a log value.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /token|secret|password|private.?key|^key$|wrapped|role.?id/i;
/** Accessors and TTLs are safe to print and are what operators need to correlate. */
const SAFE_FIELD = /accessor|ttl|expir|path|count|_ms$|Ms$/i;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  readonly level: LogLevel;
}

export type LogSink = (line: string) => void;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) && !SAFE_FIELD.test(key) ? "[redacted]" : redact(inner, depth + 1);
  }
  return out;
}

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

export function createLogger(
  level: LogLevel = "info",
  base: LogFields = {},
  sink: LogSink = stderrSink,
  now: () => Date = () => new Date(),
): Logger {
  const emit = (at: LogLevel, message: string, fields?: LogFields) => {
    if (LEVEL_ORDER[at] < LEVEL_ORDER[level]) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    sink(JSON.stringify({ time: now().toISOString(), level: at, msg: message, ...record }));
  };
  return {
    level,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink, now),
  };
}
