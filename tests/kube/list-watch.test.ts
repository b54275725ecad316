// runListWatch() against a scripted transport: the exact requests it makes and how it reacts to each answer
// (pagination, 410 on a continue token, 410 as a watch ERROR event, bookmarks, other failures).
import { expect, test } from "bun:test";
import { type KubeRequest, type KubeResponse, runListWatch, type StreamEnd } from "../../lib/kube/index.ts";

type Step = { list: KubeResponse } | { watch: { lines: unknown[]; end?: StreamEnd } };

/** Answers requests from a script, in order, and records what was asked; the first request past its end stops the loop. */
function scripted(steps: Step[], stop: AbortController) {
  const asked: string[] = [];
  const next = (kind: "list" | "watch") => {
    const step = steps.shift();
    if (!step) {
      stop.abort();
      return undefined;
    }
    if (!(kind in step)) throw new Error(`script expected ${Object.keys(step)[0]}, got ${kind}`);
    return step;
  };
  const describe = (query: KubeRequest["query"]) =>
    Object.entries(query ?? {})
      .filter(([key, value]) => value !== undefined && key !== "timeoutSeconds")
      .map(([key, value]) => `${key}=${value}`)
      .join("&");
  return {
    asked,
    transport: {
      server: "https://127.0.0.1:1",
      async request(path: string, request?: KubeRequest): Promise<KubeResponse> {
        const step = next("list");
        if (step) asked.push(`list ${path}?${describe(request?.query)}`);
        return step && "list" in step ? step.list : { status: 503, body: undefined };
      },
      async stream(
        path: string,
        query: KubeRequest["query"],
        onLine: (line: string) => void,
      ): Promise<StreamEnd> {
        const step = next("watch");
        if (step) asked.push(`watch ${path}?${describe(query)}`);
        if (!step || !("watch" in step)) return { kind: "aborted" };
        for (const line of step.watch.lines) onLine(JSON.stringify(line));
        return step.watch.end ?? { kind: "ended" };
      },
    },
  };
}

const page = (resourceVersion: string, names: string[], more?: string) => ({
  status: 200,
  body: {
    metadata: { resourceVersion, ...(more ? { continue: more } : {}) },
    items: names.map((name) => ({ name })),
  },
});
const gone = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" };

async function run(steps: Step[]) {
  const stop = new AbortController();
  const script = scripted(steps, stop);
  const lists: unknown[][] = [];
  const events: string[] = [];
  const errors: string[] = [];
  await runListWatch({
    transport: script.transport,
    path: "/api/v1/pods",
    pageSize: 2,
    signal: stop.signal,
    random: () => 0,
    onList: (items) => lists.push(items),
    onEvent: (change) => events.push(`${change.type} ${JSON.stringify(change.object)}`),
    onSynced: () => {},
    onError: (error) => errors.push(error instanceof Error ? error.message : String(error)),
  });
  return { asked: script.asked, lists, events, errors };
}

test("pages are followed with limit/continue and delivered as one list; the watch starts at the list's version", async () => {
  const result = await run([
    { list: page("10", ["a", "b"], "token-1") },
    { list: page("11", ["c"]) },
    { watch: { lines: [] } },
  ]);
  expect(result.asked).toEqual([
    "list /api/v1/pods?limit=2",
    "list /api/v1/pods?limit=2&continue=token-1",
    "watch /api/v1/pods?watch=true&resourceVersion=11&allowWatchBookmarks=true",
  ]);
  expect(result.lists).toEqual([[{ name: "a" }, { name: "b" }, { name: "c" }]]);
});

test("an expired continue token restarts the list at once, without reporting an error", async () => {
  const result = await run([
    { list: page("10", ["a"], "token-1") },
    { list: { status: 410, body: gone } },
    { list: page("20", ["a", "b"]) },
  ]);
  expect(result.asked.slice(0, 3)).toEqual([
    "list /api/v1/pods?limit=2",
    "list /api/v1/pods?limit=2&continue=token-1",
    "list /api/v1/pods?limit=2",
  ]);
  expect(result.errors).toEqual([]);
});

test("events and bookmarks advance the version a re-watch resumes from; a 410 ERROR event re-lists", async () => {
  const result = await run([
    { list: page("5", []) },
    {
      watch: {
        lines: [
          { type: "ADDED", object: { metadata: { resourceVersion: "6" } } },
          { type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } },
        ],
      },
    },
    {
      watch: {
        lines: [
          { type: "ERROR", object: gone },
          { type: "ADDED", object: { ignored: true } },
        ],
      },
    },
    { list: page("30", []) },
    { watch: { lines: [] } },
  ]);
  expect(result.asked).toEqual([
    "list /api/v1/pods?limit=2",
    "watch /api/v1/pods?watch=true&resourceVersion=5&allowWatchBookmarks=true",
    "watch /api/v1/pods?watch=true&resourceVersion=9&allowWatchBookmarks=true",
    "list /api/v1/pods?limit=2",
    "watch /api/v1/pods?watch=true&resourceVersion=30&allowWatchBookmarks=true",
  ]);
  expect(result.events).toEqual(['ADDED {"metadata":{"resourceVersion":"6"}}']);
  expect(result.errors).toEqual([]);
});

test("a refused watch is reported with the server's message and retried from a fresh list", async () => {
  const forbidden = {
    kind: "Status",
    code: 403,
    message: 'pods is forbidden: User "system:serviceaccount:x:y" cannot watch',
  };
  const result = await run([
    { list: page("5", []) },
    { watch: { lines: [], end: { kind: "status", status: 403, body: forbidden } } },
    { list: page("6", []) },
  ]);
  expect(result.errors).toHaveLength(1);
  expect(result.errors[0]).toContain("403");
  expect(result.errors[0]).toContain("cannot watch");
  expect(result.errors[0]).toContain("RBAC");
  expect(result.asked[2]).toBe("list /api/v1/pods?limit=2");
});
