/**
 * A server for node-server-limits.test.ts, run as its own process under Deno (`deno run`) or Bun: lib/runtime's
 * serve() with the portable engine (node:http) and the default body limit, around a handler that buffers every body
 * it is given, the way a careless handler would, so any byte the engine lets through shows in the process's RSS.
 * GET /stats answers how many body bytes handlers were given in total and at most in one request.
 *
 * argv: <hostname> [limits as JSON, passed to serve() as `limits`]. Prints {"port", "pid"} as one JSON line.
 */
import { serve } from "../../lib/runtime/index.ts";

const [hostname = "127.0.0.1", limitsJson] = process.argv.slice(2);
let delivered = 0;
let largest = 0;
let requests = 0;
const server = await serve({
  hostname,
  port: 0,
  engine: "node",
  ...(limitsJson ? { limits: JSON.parse(limitsJson) } : {}),
  async fetch(request) {
    if (new URL(request.url).pathname === "/stats") return Response.json({ delivered, largest, requests });
    requests++;
    const kept: Uint8Array[] = [];
    let size = 0;
    try {
      const reader = request.body?.getReader();
      for (;;) {
        const next = await reader?.read();
        if (next === undefined || next.done) break;
        kept.push(next.value);
        size += next.value.byteLength;
        delivered += next.value.byteLength;
        largest = Math.max(largest, size);
      }
    } catch {
      return new Response("body failed\n", { status: 500 });
    }
    return new Response(`read ${size} bytes in ${kept.length} chunks\n`);
  },
});
console.log(JSON.stringify({ port: server.port, pid: process.pid }));
