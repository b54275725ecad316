/**
 * Init container figures (issue 3 "Measure"): compiled executable size, start-up time until it listens, and
 * resident memory idle and at the peak of a full push -> unwrap -> login -> write exchange against the Vault
 * stand-in. Run: `bun run bench/init.ts [--runs N]`. Prints one JSON object; numbers are from this machine only.
 */
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { push, startHarness } from "../tests/init/harness.ts";
import { compiledBinary } from "../tests/support/binaries.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Number(values.runs);
const LISTENING = "waiting for the controller's push";

interface Started {
  process: ReturnType<typeof Bun.spawn>;
  listeningMs: number;
  internalMs: number;
  processMs: number;
}

async function startInit(binary: string, podIp: string, env: Record<string, string>): Promise<Started> {
  const began = performance.now();
  const child = Bun.spawn([binary], {
    env: { TIMEOUT: "60s", POD_IP: podIp, LISTEN_ADDRESS: `${podIp}:50000`, VAULT_ROLE_NAME: "web", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = (child.stderr as ReadableStream<Uint8Array>).getReader();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`init exited before listening:\n${text}`);
    text += new TextDecoder().decode(value);
    const line = text.split("\n").find((l) => l.includes(LISTENING));
    if (line) {
      reader.releaseLock();
      const fields = JSON.parse(line) as { startup_ms: number; since_process_start_ms: number };
      return {
        process: child,
        listeningMs: performance.now() - began,
        internalMs: fields.startup_ms,
        processMs: fields.since_process_start_ms,
      };
    }
  }
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

const binary = compiledBinary("init");
const listening: number[] = [];
const internal: number[] = [];
const sinceProcessStart: number[] = [];
const idleRss: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = await startInit(binary, `127.1.40.${i + 1}`, { VAULT_ROLE_ID: "bench" });
  try {
    listening.push(started.listeningMs);
    internal.push(started.internalMs);
    sinceProcessStart.push(started.processMs);
    idleRss.push(await rssKb(started.process.pid));
  } finally {
    started.process.kill("SIGKILL");
    await started.process.exited;
  }
}
listening.sort((a, b) => a - b);
internal.sort((a, b) => a - b);
sinceProcessStart.sort((a, b) => a - b);

const h = await startHarness("bench");
let exchangePeakRssBytes = 0;
let exchangeMs = 0;
try {
  const podIp = "127.1.40.200";
  const started = await startInit(binary, podIp, {
    VAULT_ROLE_ID: h.roleId,
    VAULT_ADDR: h.vaultAddr,
    CONTROLLER_CA_CERT: h.controllerCaPath,
    TOKEN_PATH: join(h.dir, "bench-creds", "vault-token"),
  });
  try {
    const wrap = await h.mint();
    const began = performance.now();
    const response = await push(podIp, h.pushRequest(wrap), h.controller);
    if (response.status !== 200)
      throw new Error(`push answered ${response.status}: ${await response.text()}`);
    exchangeMs = performance.now() - began;
    await started.process.exited;
    // Bun reports maxRSS in bytes.
    exchangePeakRssBytes = started.process.resourceUsage()?.maxRSS ?? 0;
  } finally {
    started.process.kill("SIGKILL");
  }
} finally {
  await h.stop();
}

console.log(
  JSON.stringify(
    {
      executableBytes: statSync(binary).size,
      runs,
      startToListeningMs: {
        p50: percentile(listening, 0.5),
        p90: percentile(listening, 0.9),
        min: listening[0],
      },
      processStartToListeningMs: {
        p50: percentile(sinceProcessStart, 0.5),
        p90: percentile(sinceProcessStart, 0.9),
        min: sinceProcessStart[0],
      },
      insideRunInitMs: { p50: percentile(internal, 0.5), p90: percentile(internal, 0.9) },
      idleRssMiB: { max: Math.max(...idleRss) / 1024 },
      exchange: { pushToAnswerMs: exchangeMs, peakRssMiB: exchangePeakRssBytes / 2 ** 20 },
    },
    null,
    2,
  ),
);
