/**
 * Tools for the attack tests: a raw HTTP/1.1 client over a plain or TLS socket that sends exactly the bytes an
 * attacker would (headers, then a large body fast or trickled, without waiting for permission), and a sampler of a
 * process's resident memory (VmRSS in /proc/<pid>/status). Loopback only.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";

export interface RawRequest {
  /** Opens the connection; the request is written once it is connected (and, for TLS, after the handshake). */
  connect(): net.Socket;
  /** The event after which writing may start: "connect" for net, "secureConnect" for TLS. */
  readyEvent: "connect" | "secureConnect";
  method?: string;
  path: string;
  headers: Record<string, string>;
  /** The body bytes to send after the headers; `declaredLength` (content-length) defaults to its length. */
  body: Uint8Array;
  declaredLength?: number;
  /** Bytes per write. */
  chunkBytes: number;
  /** Pacing of a slow sender between writes (0 = as fast as the socket takes them). */
  pauseMs: number;
  /** Give up (and close) after this long, whatever happened. */
  deadlineMs: number;
  /** Send the headers, then wait this long for an answer before sending any body byte. */
  answerWaitMs?: number;
  /** After the answer, wait (until the deadline) for the server to close the connection; default true. */
  awaitClose?: boolean;
  /** Chunked transfer encoding instead of a content-length (the length is then known only at the end). */
  chunked?: boolean;
}

export interface RawOutcome {
  /** The HTTP status of the answer, if one arrived. */
  status: number | undefined;
  /** Body bytes written before the server answered or the connection ended. */
  bodyBytesWritten: number;
  /** Who ended it. */
  end: "server-closed" | "deadline" | "finished" | "error";
  elapsedMs: number;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function rawRequest(request: RawRequest): Promise<RawOutcome> {
  const started = Date.now();
  return new Promise<RawOutcome>((resolve) => {
    const socket = request.connect();
    let received = "";
    let status: number | undefined;
    let written = 0;
    let closed = false;
    let settled = false;
    let answered: () => void = () => {};
    const answer = new Promise<void>((r) => {
      answered = r;
    });
    const finish = (end: RawOutcome["end"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ status, bodyBytesWritten: written, end, elapsedMs: Date.now() - started });
    };
    const deadline = setTimeout(() => finish("deadline"), request.deadlineMs);
    socket.on("data", (data: Buffer) => {
      if (status !== undefined) return;
      received += data.toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) {
        status = Number(match[1]);
        answered();
      }
    });
    socket.on("error", () => {
      closed = true;
    });
    socket.on("close", () => {
      closed = true;
      answered();
      // A moment for a last "data" event is not needed: "close" comes after every "data".
      finish("server-closed");
    });
    socket.once(request.readyEvent, async () => {
      const length = request.declaredLength ?? request.body.byteLength;
      const head = [
        `${request.method ?? "POST"} ${request.path} HTTP/1.1`,
        "host: attacker",
        request.chunked ? "transfer-encoding: chunked" : `content-length: ${length}`,
        ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
        "",
        "",
      ].join("\r\n");
      socket.write(head);
      if (request.answerWaitMs !== undefined) await Promise.race([answer, pause(request.answerWaitMs)]);
      // A patient sender that was answered before its body stops there: it was refused by its headers.
      const refusedEarly = request.answerWaitMs !== undefined && status !== undefined;
      while (!refusedEarly && !closed && !settled && written < request.body.byteLength) {
        const chunk = request.body.subarray(written, written + request.chunkBytes);
        if (request.chunked) socket.write(`${chunk.byteLength.toString(16)}\r\n`);
        const flushed = socket.write(chunk);
        if (request.chunked) socket.write("\r\n");
        written += chunk.byteLength;
        if (!flushed)
          await new Promise<void>((r) => {
            socket.once("drain", r);
            socket.once("close", r);
          });
        if (request.pauseMs > 0) await pause(request.pauseMs);
      }
      if (request.chunked && !refusedEarly && !closed && !settled) socket.write("0\r\n\r\n");
      if (!closed && !settled) {
        // Everything sent: wait for the answer, then for the close unless told not to (or for the deadline).
        await answer;
        if (request.awaitClose === false && !closed) finish("finished");
      }
    });
  });
}

export interface Trickle {
  connect(): net.Socket;
  readyEvent: "connect" | "secureConnect";
  /** Written at once when connected. */
  prefix: string;
  /** Then written every `pauseMs`, at most `drips` times: a client that never finishes its headers. */
  drip: string;
  pauseMs: number;
  drips: number;
}

export interface TrickleOutcome {
  end: "server-closed" | "gave-up";
  /** From the connection to its close (or to giving up). */
  elapsedMs: number;
  received: string;
}

/** A slowloris client: how long the server let it hold the connection. */
export function trickle(options: Trickle): Promise<TrickleOutcome> {
  const started = Date.now();
  return new Promise<TrickleOutcome>((resolve) => {
    const socket = options.connect();
    let received = "";
    let closed = false;
    socket.on("data", (data: Buffer) => {
      received += data.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      resolve({ end: "server-closed", elapsedMs: Date.now() - started, received });
    });
    socket.once(options.readyEvent, async () => {
      socket.write(options.prefix);
      for (let i = 0; i < options.drips && !closed; i++) {
        await pause(options.pauseMs);
        if (!closed) socket.write(options.drip);
      }
      if (!closed) {
        resolve({ end: "gave-up", elapsedMs: Date.now() - started, received });
        socket.destroy();
      }
    });
  });
}

export interface HeldConnection {
  socket: net.Socket;
  closed(): boolean;
  /** Sends one GET and resolves with its status (undefined when the connection closed first). */
  get(path: string): Promise<number | undefined>;
}

/** Opens a connection and waits until it is established; it then sends nothing until asked. */
export function hold(
  connect: () => net.Socket,
  readyEvent: "connect" | "secureConnect",
): Promise<HeldConnection> {
  return new Promise<HeldConnection>((resolve, reject) => {
    const socket = connect();
    let isClosed = false;
    let received = "";
    const waiters: (() => void)[] = [];
    socket.on("data", (data: Buffer) => {
      received += data.toString("latin1");
      for (const wake of waiters.splice(0)) wake();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      isClosed = true;
      for (const wake of waiters.splice(0)) wake();
    });
    socket.once("error", reject);
    socket.once(readyEvent, () =>
      resolve({
        socket,
        closed: () => isClosed,
        async get(path) {
          received = "";
          socket.write(`GET ${path} HTTP/1.1\r\nhost: attacker\r\n\r\n`);
          for (;;) {
            const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
            if (match) return Number(match[1]);
            if (isClosed) return undefined;
            await new Promise<void>((wake) => waiters.push(wake));
          }
        },
      }),
    );
  });
}

/** A TLS connector presenting a client certificate (the attacker holds one from the cluster's PKI). */
export function tlsConnector(
  host: string,
  port: number,
  credentials: { caPem: string; certPem: string; keyPem: string },
): () => net.Socket {
  return () =>
    tls.connect({
      host,
      port,
      ca: credentials.caPem,
      cert: credentials.certPem,
      key: credentials.keyPem,
      // The server certificate names the pod IP; identity is not what this attack is about.
      checkServerIdentity: () => undefined,
    });
}

export const plainConnector = (host: string, port: number) => () => net.connect({ host, port });

/** VmRSS of a process in MiB. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

export interface RssSampler {
  /** The largest sample so far. */
  peak(): number;
  /** Stops sampling; the largest and the number of samples taken. */
  stop(): { maxMiB: number; samples: number };
}

/** Samples VmRSS every `intervalMs` until stopped (a vanished process ends sampling). */
export function sampleRss(pid: number, intervalMs = 25): RssSampler {
  let max = rssMiB(pid);
  let samples = 1;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssMiB(pid));
      samples++;
    } catch {
      clearInterval(timer);
    }
  }, intervalMs);
  return {
    peak: () => max,
    stop() {
      clearInterval(timer);
      try {
        max = Math.max(max, rssMiB(pid));
        samples++;
      } catch {
        // gone
      }
      return { maxMiB: max, samples };
    },
  };
}

/** The value of `metric{labels}` (or of `metric` when labels is "") in a Prometheus exposition, 0 when absent. */
export function counterValue(text: string, metric: string, labels: string): number {
  const series = labels === "" ? metric : `${metric}{${labels}}`;
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^${escaped} (\\d+(?:\\.\\d+)?)$`, "m").exec(text);
  return match ? Number(match[1]) : 0;
}
