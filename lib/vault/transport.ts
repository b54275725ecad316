/**
 * One Vault API call over an injected fetch: URL and headers, per-call deadline, retries where the caller says it
 * is safe, Vault's `{"errors": [...]}` on failure, and valibot validation of the answer.
 *
 * Contract: every failure is a VaultError (status 0 = not reached). Secrets sent with a call (the token header and
 * any the caller lists) are scrubbed from every text put into an error. Bodies are never logged.
 */
import * as v from "valibot";
import type { HttpFetch } from "../runtime/index.ts";
import { scrub, VaultError, VaultResponseError } from "./errors.ts";
import { backoffDelayMs, isRetryableStatus, type RetryPolicy } from "./retry.ts";

export interface TransportOptions {
  addr: string;
  token?: string;
  fetch: HttpFetch;
  timeoutMs: number;
  retry: RetryPolicy;
}

export interface VaultAnswer {
  status: number;
  text: string;
  contentType: string;
}

export interface CallSpec<T> {
  method: "GET" | "POST" | "PUT";
  /** Without the /v1/ prefix; each variable segment already encoded by `segment()`. */
  path: string;
  /** undefined = the client's token; null = send none (unauthenticated endpoints). */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  /** Only for calls that change nothing, or change it the same way twice (renew-self). */
  retryable: boolean;
  /** Further secrets in this call (a secret_id, a role_id), scrubbed from errors like the token. */
  secrets?: string[];
  /** Statuses besides 2xx that carry a real answer (sys/health's 429, 503...). */
  answerStatuses?: readonly number[];
  decode: (answer: VaultAnswer) => T;
}

/** Encodes one variable path segment (a role or mount step), so a name can never walk into another API path. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}

/** A mount path keeps its slashes between steps, each step encoded. */
export function mountSegments(mount: string): string {
  return mount
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .map(segment)
    .join("/");
}

const ErrorBody = v.object({ errors: v.array(v.string()) });

function errorsOf(answer: VaultAnswer, secrets: string[]): string[] {
  try {
    const parsed = v.safeParse(ErrorBody, JSON.parse(answer.text));
    if (parsed.success) return parsed.output.errors.map((e) => scrub(e, secrets));
  } catch {
    // Not JSON (a proxy's error page): keep a short excerpt below.
  }
  const excerpt = answer.text.trim().slice(0, 200);
  return excerpt === "" ? [] : [scrub(excerpt, secrets)];
}

async function once<T>(options: TransportOptions, spec: CallSpec<T>, secrets: string[]): Promise<T> {
  const token = spec.token === undefined ? options.token : (spec.token ?? undefined);
  const headers: Record<string, string> = { "X-Vault-Request": "true", ...spec.headers };
  if (token !== undefined) headers["X-Vault-Token"] = token;
  if (spec.body !== undefined) headers["Content-Type"] = "application/json";
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new VaultError(spec.method, spec.path, 0, [], `no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
  });
  let answer: VaultAnswer;
  try {
    answer = await Promise.race([
      (async () => {
        const response = await options.fetch(`${options.addr}/v1/${spec.path}`, {
          method: spec.method,
          headers,
          ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
          signal: controller.signal,
        });
        return {
          status: response.status,
          text: await response.text(),
          contentType: response.headers.get("content-type") ?? "",
        };
      })(),
      deadline,
    ]);
  } catch (error) {
    if (error instanceof VaultError) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    throw new VaultError(spec.method, spec.path, 0, [], scrub(cause, secrets));
  } finally {
    clearTimeout(timer);
  }
  const isAnswer =
    (answer.status >= 200 && answer.status < 300) || spec.answerStatuses?.includes(answer.status);
  if (!isAnswer) throw new VaultError(spec.method, spec.path, answer.status, errorsOf(answer, secrets));
  return spec.decode(answer);
}

export async function call<T>(options: TransportOptions, spec: CallSpec<T>): Promise<T> {
  const secrets = [options.token, spec.token, ...(spec.secrets ?? [])].filter(
    (s): s is string => typeof s === "string" && s !== "",
  );
  const attempts = spec.retryable ? options.retry.attempts : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(options, spec, secrets);
    } catch (error) {
      const retry =
        attempt < attempts &&
        error instanceof VaultError &&
        !(error instanceof VaultResponseError) &&
        isRetryableStatus(error.status);
      if (!retry) throw error;
      await options.retry.sleep(backoffDelayMs(options.retry, attempt));
    }
  }
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  return issue.path?.map((step) => String(step.key)).join(".") ?? "(body)";
}

/** Decodes a JSON answer with a valibot schema; a mismatch names the field and what was expected, never the value. */
export function json<S extends v.GenericSchema>(
  method: string,
  path: string,
  schema: S,
): (answer: VaultAnswer) => v.InferOutput<S> {
  return (answer) => {
    let body: unknown;
    try {
      body = answer.text === "" ? undefined : JSON.parse(answer.text);
    } catch {
      throw new VaultResponseError(method, path, answer.status, ["the body is not JSON"]);
    }
    const parsed = v.safeParse(schema, body);
    if (parsed.success) return parsed.output;
    throw new VaultResponseError(
      method,
      path,
      answer.status,
      parsed.issues.map((issue) =>
        issue.input === undefined
          ? `${issuePath(issue)}: missing`
          : `${issuePath(issue)}: expected ${issue.expected ?? "a different value"}, got ${describeType(issue.input)}`,
      ),
    );
  };
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** For calls answered with 204 and no body (revoke-accessor). */
export function noContent(): void {}
