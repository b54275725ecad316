// Issue 12, part 6: the portable server (lib/runtime/node-server.ts, what serve() uses under Deno and Node) holds
// the same limits as the Bun path, whatever the runtime's node:http honours by itself. Run as a real process under
// Deno (`deno run`, as in production) and under Bun with the node engine forced, on loopback, against a handler
// that buffers any body it is given (node-server-target.ts):
// - a body over the limit is answered 413 before it is buffered, declared (content-length) or streamed (chunked):
//   the handler is given at most the limit, and the server's VmRSS does not grow by the body;
// - headers over the limit are refused (431) and the connection closed;
// - a slowloris connection (headers never finished) is closed by the headers timeout, and an idle keep-alive
//   connection by the idle timeout;
// - connections beyond the cap are closed at once, and a freed place is given to the next one.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_MAX_BODY_BYTES, SERVER_LIMITS } from "../../lib/runtime/index.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { freshStateDir } from "../support/state-dir.ts";
import { waitFor } from "../support/wait.ts";
import {
  type HeldConnection,
  hold,
  plainConnector,
  rawRequest,
  rssMiB,
  sampleRss,
  trickle,
} from "./support.ts";

// Deno starts from TypeScript source; the machine is a busy 2-core one.
setDefaultTimeout(300_000);

const ROOT = resolve(import.meta.dir, "../..");
const DENO = join(ROOT, "node_modules/.bin/deno");
const TARGET = "tests/attack/node-server-target.ts";
const BODY_BYTES = 63 * 1024 * 1024;
/** RSS growth allowed while a 63 MB body is refused: the limit (1 MiB) plus runtime noise, far below the body. */
const RSS_GROWTH_CEILING_MIB = 24;
const dir = freshStateDir("attack-node-server-");
const started: TestProcess[] = [];

afterAll(async () => {
  for (const run of started) await run.stop();
});

interface Target {
  url: string;
  host: string;
  port: number;
  pid: number;
  stats(): Promise<{ delivered: number; largest: number; requests: number }>;
}

async function startTarget(runtime: "deno" | "bun", host: string, limits?: object): Promise<Target> {
  const args = [host, ...(limits ? [JSON.stringify(limits)] : [])];
  const [command, commandArgs] =
    runtime === "deno"
      ? [DENO, ["run", "--allow-net", "--allow-env", "--allow-read", TARGET, ...args]]
      : [process.execPath, [TARGET, ...args]];
  const run = startProcess(command, commandArgs, {
    cwd: ROOT,
    logPath: join(dir, `${runtime}-${host}-${started.length}.log`),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" },
  });
  started.push(run);
  const text = await run.waitForOutput(/\{"port":\d+,"pid":\d+\}/, 120_000);
  const line = /\{"port":\d+,"pid":\d+\}/.exec(text)?.[0] ?? "{}";
  const { port, pid } = JSON.parse(line) as { port: number; pid: number };
  const url = `http://${host}:${port}`;
  return {
    url,
    host,
    port,
    pid,
    stats: async () =>
      (await (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(10_000) })).json()) as {
        delivered: number;
        largest: number;
        requests: number;
      },
  };
}

for (const [index, runtime] of (["deno", "bun"] as const).entries()) {
  describe(`the portable server under ${runtime}`, () => {
    const host = `127.213.${index + 1}.1`;
    const capHost = `127.213.${index + 1}.2`;
    let target: Target;

    test("starts", async () => {
      if (runtime === "deno" && !existsSync(DENO)) throw new Error(`${DENO} is missing: run npm install`);
      target = await startTarget(runtime, host);
    });

    test("a body over the limit is answered 413 before it is buffered (declared and chunked)", async () => {
      const connect = plainConnector(host, target.port);
      const body = new Uint8Array(BODY_BYTES).fill(0x61);
      const idle = rssMiB(target.pid);
      const sampler = sampleRss(target.pid);
      const send = (options: { chunked?: boolean; answerWaitMs?: number }) =>
        rawRequest({
          connect,
          readyEvent: "connect",
          path: "/upload",
          headers: {},
          body,
          chunkBytes: 256 * 1024,
          pauseMs: 0,
          deadlineMs: 60_000,
          ...options,
        });
      // Waits for the answer before sending any body byte: the refusal comes from the declared length alone.
      const declaredPatient = await send({ answerWaitMs: 10_000 });
      const [declaredFast, chunkedA, chunkedB] = await Promise.all([
        send({}),
        send({ chunked: true }),
        send({ chunked: true }),
      ]);
      const { maxMiB } = sampler.stop();
      console.log(
        JSON.stringify({ runtime, idle, maxMiB, declaredPatient, declaredFast, chunkedA, chunkedB }),
      );
      expect(declaredPatient.status).toBe(413);
      expect(declaredPatient.bodyBytesWritten).toBe(0);
      expect(declaredPatient.end).toBe("server-closed");
      for (const outcome of [declaredFast, chunkedA, chunkedB]) {
        // The answer may be lost to the reset of a connection still sending; the cut is what matters.
        expect([413, undefined]).toContain(outcome.status);
        expect(outcome.end).toBe("server-closed");
        expect(outcome.bodyBytesWritten).toBeLessThan(BODY_BYTES / 2);
      }
      const stats = await target.stats();
      expect(stats.largest).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES);
      expect(maxMiB - idle).toBeLessThan(RSS_GROWTH_CEILING_MIB);
    });

    test("a body at the limit is delivered whole", async () => {
      const body = new Uint8Array(DEFAULT_MAX_BODY_BYTES).fill(0x62);
      const response = await fetch(`${target.url}/upload`, { method: "POST", body });
      expect(response.status).toBe(200);
      expect(await response.text()).toStartWith(`read ${DEFAULT_MAX_BODY_BYTES} bytes`);
    });

    test(`headers over ${SERVER_LIMITS.maxHeaderBytes} bytes are refused with 431 and the connection closed`, async () => {
      const connect = plainConnector(host, target.port);
      const withHeader = (bytes: number, awaitClose: boolean) =>
        rawRequest({
          awaitClose,
          connect,
          readyEvent: "connect",
          method: "GET",
          path: "/",
          headers: { "x-filler": "a".repeat(bytes) },
          body: new Uint8Array(0),
          chunkBytes: 1,
          pauseMs: 0,
          deadlineMs: 30_000,
        });
      const under = await withHeader(SERVER_LIMITS.maxHeaderBytes - 1024, false);
      expect(under.status).toBe(200);
      const over = await withHeader(SERVER_LIMITS.maxHeaderBytes + 1024, true);
      expect(over.status).toBe(431);
      expect(over.end).toBe("server-closed");
    });

    test("a slowloris connection is closed by the headers timeout, an idle one by the idle timeout", async () => {
      const connect = plainConnector(host, target.port);
      // One header line a second, never the blank line that ends them: alive forever unless the server cuts it.
      const [slowloris, idleAfterAnswer] = await Promise.all([
        trickle({
          connect,
          readyEvent: "connect",
          prefix: "GET / HTTP/1.1\r\nhost: attacker\r\n",
          drip: "x-drip: 1\r\n",
          pauseMs: 1_000,
          drips: 90,
        }),
        // A complete request, then the next one's headers dripped on the kept-alive connection.
        trickle({
          connect,
          readyEvent: "connect",
          prefix: "GET / HTTP/1.1\r\nhost: attacker\r\n\r\nGET / HTTP/1.1\r\n",
          drip: "x-drip: 1\r\n",
          pauseMs: 1_000,
          drips: 90,
        }),
      ]);
      console.log(
        JSON.stringify({ runtime, slowloris, idleAfterAnswer: { ...idleAfterAnswer, received: "" } }),
      );
      expect(slowloris.end).toBe("server-closed");
      expect(slowloris.elapsedMs).toBeGreaterThanOrEqual(SERVER_LIMITS.headersTimeoutMs - 1_000);
      // Generous: the timer fires on a busy machine's event loop.
      expect(slowloris.elapsedMs).toBeLessThan(SERVER_LIMITS.headersTimeoutMs + 20_000);
      expect(idleAfterAnswer.received).toStartWith("HTTP/1.1 200");
      expect(idleAfterAnswer.end).toBe("server-closed");
      expect(idleAfterAnswer.elapsedMs).toBeLessThan(SERVER_LIMITS.idleTimeoutMs + 20_000);
    });

    test("connections beyond the cap are closed at once; a freed place is given to the next", async () => {
      const cap = 16;
      // A small cap and long timeouts, so that only the cap can close these connections during the test.
      const capped = await startTarget(runtime, capHost, {
        maxConnections: cap,
        headersTimeoutMs: 240_000,
        requestTimeoutMs: 240_000,
        idleTimeoutMs: 240_000,
      });
      const connect = plainConnector(capHost, capped.port);
      const held: HeldConnection[] = [];
      try {
        for (let i = 0; i < cap + 6; i++) held.push(await hold(connect, "connect"));
        await waitFor("6 connections beyond the cap closed by the server", () =>
          held.filter((c) => c.closed()).length >= 6 ? true : undefined,
        );
        const open = held.filter((c) => !c.closed());
        expect(open).toHaveLength(cap);
        const statuses = await Promise.all(open.map((c) => c.get("/")));
        expect(statuses).toEqual(Array(cap).fill(200));
        open[0]?.socket.destroy();
        // The server hears of the close a moment later; until then a newcomer may still be turned away.
        const newcomer = await waitFor("a newcomer admitted into the freed place", async () => {
          const next = await hold(connect, "connect");
          const status = await next.get("/");
          if (status === 200) return next;
          next.socket.destroy();
          return undefined;
        });
        held.push(newcomer);
      } finally {
        for (const c of held) c.socket.destroy();
      }
    });
  });
}
