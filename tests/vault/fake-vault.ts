// An in-process fake Vault for client tests: a Hono app that records every request and answers from a script
// (per "METHOD /v1/path"), so tests can check paths, headers and bodies and make any call fail in any way.
import { Hono } from "hono";
import type { HttpFetch } from "../../lib/runtime/index.ts";
import { VaultError } from "../../lib/vault/index.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Answer = Response | (() => Response | Promise<Response>);

export interface FakeVault {
  app: Hono;
  requests: RecordedRequest[];
  /** Answers for one route, used in order; the last one repeats. */
  on(route: string, ...answers: Answer[]): void;
  /** A fetch backed by `app.request`, with no sockets. */
  fetch: HttpFetch;
}

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

export function vaultErrors(status: number, ...errors: string[]): Response {
  return Response.json({ errors }, { status });
}

export function createFakeVault(): FakeVault {
  const app = new Hono();
  const requests: RecordedRequest[] = [];
  const script = new Map<string, Answer[]>();
  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    requests.push({ method: c.req.method, path: url.pathname, headers, body: await c.req.text() });
    const answers = script.get(`${c.req.method} ${url.pathname}`);
    if (!answers || answers.length === 0)
      return json({ errors: [`no route for ${c.req.method} ${url.pathname}`] }, 404);
    const next = answers.length > 1 ? answers.shift() : answers[0];
    const response = typeof next === "function" ? await next() : next;
    // A Response body can be read once; clone so a repeated last answer still works.
    return response?.clone() ?? json({}, 500);
  });
  return {
    app,
    requests,
    on: (route, ...answers) => script.set(route, answers),
    fetch: (input, init) => Promise.resolve(app.request(String(input), init)),
  };
}

/** The VaultError a call rejects with (failing the test if it resolves or rejects with something else). */
export async function vaultErrorOf(promise: Promise<unknown>): Promise<VaultError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof VaultError)) throw new Error(`expected a VaultError, got ${String(outcome)}`);
  return outcome;
}
