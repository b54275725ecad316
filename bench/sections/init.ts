/**
 * The init container's figures (issues 3 and 8): the compiled executable's size, its start-up time from spawn to
 * listening (median of at least 20 starts), its resident memory idle and at the peak of a whole exchange (push ->
 * lookup -> unwrap -> login -> token file, against the sandbox Vault), and the compressed image size the
 * packaging build records under .state/. Mode: the real init executable (compiledBinary("init"), built exactly
 * like `bun run build`).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { compiledBinary } from "../../tests/support/binaries.ts";
import { openControllerSide } from "../support/controller-side.ts";
import { findImageSize } from "../support/image-size.ts";
import { residentBytes, spawnInit } from "../support/spawn-init.ts";
import { mib, percentile, round2 } from "../support/stats.ts";
import { type BenchContext, type Section, sampleCount } from "./types.ts";

/** The figures `bun run bench/init.ts` prints (the init engineer's original output), plus the peak in MiB. */
export interface InitMeasurement {
  executableBytes: number;
  runs: number;
  startToListeningMs: { p50: number; p90: number; min: number };
  /** As the init itself counts it (since_process_start_ms): without the spawn's own cost. */
  processStartToListeningMs: { p50: number; p90: number; min: number } | null;
  insideRunInitMs: { p50: number; p90: number };
  idleRssMiB: { max: number };
  exchange: { pushToAnswerMs: number; peakRssMiB: number | null };
}

/** A /24 of its own, so a bench run does not collide with test pods on 127.1.x.y. */
const ADDRESS_PREFIX = "127.7.40";
const MIN_STARTS = 20;

export async function measureInit(context: BenchContext, runs: number): Promise<InitMeasurement> {
  const binary = compiledBinary("init");
  // First: every start reads the controller CA, as a real pod's does (the init refuses to start without one).
  const sandbox = await context.sandbox("shared");
  const description = sandbox.description;
  const listening: number[] = [];
  const internal: number[] = [];
  const sinceProcessStart: number[] = [];
  const idle: number[] = [];
  for (let i = 0; i < runs; i++) {
    const podIp = `${ADDRESS_PREFIX}.${(i % 200) + 1}`;
    const started = await spawnInit(binary, {
      VAULT_ROLE_ID: "bench",
      VAULT_ROLE_NAME: "demo-app",
      POD_IP: podIp,
      LISTEN_ADDRESS: `${podIp}:50000`,
      TOKEN_PATH: join(context.stateDir, "init-starts", String(i), "vault-token"),
      CONTROLLER_CA_CERT: description.pki.caCert,
      TIMEOUT: "60s",
    });
    try {
      listening.push(started.listeningMs);
      internal.push(started.internalMs);
      if (started.processMs !== undefined) sinceProcessStart.push(started.processMs);
      idle.push(await residentBytes(started.process.pid));
    } finally {
      await started.kill();
    }
  }

  const controller = await openControllerSide(description);
  const podIp = `${ADDRESS_PREFIX}.250`;
  const exchange = await spawnInit(
    binary,
    {
      VAULT_ROLE_ID: String(description.approles["demo-app"]?.roleId),
      VAULT_ROLE_NAME: "demo-app",
      POD_IP: podIp,
      LISTEN_ADDRESS: `${podIp}:50000`,
      VAULT_ADDR: description.vault.addr,
      VAULT_CACERT: description.vault.caCert,
      CONTROLLER_CA_CERT: description.pki.caCert,
      TOKEN_PATH: join(context.stateDir, "init-exchange", "vault-token"),
      TIMEOUT: "60s",
    },
    { measurePeak: true },
  );
  let pushToAnswerMs: number;
  let peakBytes: number | undefined;
  try {
    const wrap = await controller.mint("demo-app", podIp);
    const began = performance.now();
    const answer = await controller.push(podIp, wrap);
    pushToAnswerMs = performance.now() - began;
    if (answer.status !== 200) throw new Error(`the push answered ${answer.status}: ${answer.body}`);
    peakBytes = await exchange.finish();
  } finally {
    await exchange.kill();
    controller.close();
  }
  return {
    executableBytes: statSync(binary).size,
    runs,
    startToListeningMs: {
      p50: round2(percentile(listening, 0.5)),
      p90: round2(percentile(listening, 0.9)),
      min: round2(Math.min(...listening)),
    },
    processStartToListeningMs:
      sinceProcessStart.length === 0
        ? null
        : {
            p50: round2(percentile(sinceProcessStart, 0.5)),
            p90: round2(percentile(sinceProcessStart, 0.9)),
            min: round2(Math.min(...sinceProcessStart)),
          },
    insideRunInitMs: { p50: round2(percentile(internal, 0.5)), p90: round2(percentile(internal, 0.9)) },
    idleRssMiB: { max: mib(Math.max(...idle)) },
    exchange: {
      pushToAnswerMs: round2(pushToAnswerMs),
      peakRssMiB: peakBytes === undefined ? null : mib(peakBytes),
    },
  };
}

export const initSection: Section<"init"> = {
  key: "init",
  name: "init",
  goal: "start-up ≤ 50 ms",
  anchor:
    "a compiled Hono + prom-client app answers in ~25 ms (shared/notes/environment.md); the original Go init is a static binary",
  async run(context) {
    const runs = sampleCount(context, MIN_STARTS * 2, MIN_STARTS);
    context.progress(`init: ${runs} starts of the compiled executable, then one full exchange`);
    const measured = await measureInit(context, runs);
    const image = await findImageSize(context.root);
    const notes = [
      `start-up: median of ${runs} spawns to the listening log line${runs < MIN_STARTS ? ` (below the ${MIN_STARTS} asked for)` : ""}; ${measured.processStartToListeningMs ? `${measured.processStartToListeningMs.p50} ms as the init counts from its process start, ` : ""}inside runInit ${measured.insideRunInitMs.p50} ms`,
      `idle RSS ${measured.idleRssMiB.max} MiB; one exchange answered in ${measured.exchange.pushToAnswerMs} ms`,
      "peak RSS: /usr/bin/time -v over the whole exchange",
      image.value === null ? `image_mb_compressed: null: ${image.reason}` : `image size from ${image.source}`,
    ];
    return {
      value: {
        startup_ms: measured.startToListeningMs.p50,
        binary_mb: mib(measured.executableBytes),
        image_mb_compressed: image.value,
        peak_rss_mb: measured.exchange.peakRssMiB,
      },
      mode: "real init executable",
      notes,
    };
  },
  verdict: (value) => value.startup_ms <= 50,
};
