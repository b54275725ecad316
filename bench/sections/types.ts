/**
 * The shape every benchmark section shares. A section measures one fixed key of bench/results.json (issue 8) and
 * answers either its figure with the mode it ran in, or `value: null` with the reason it could not be measured,
 * so later engineers fill sections in without touching the harness.
 */
import type { Sandbox } from "../../sim/sandbox/index.ts";

export interface Percentiles {
  p50: number;
  p99: number;
}

/** The fixed keys of results.json and their figures (issue 8). */
export interface Figures {
  /** Init running -> token confirmed, plus the inits' own start-up (process start -> listening) during the run. */
  push_latency_ms: Percentiles & { init_start_p50_ms: number | null; init_start_p99_ms: number | null };
  floor_ms: Percentiles;
  burst: {
    pods: number;
    seconds: number;
    controller_cpu_ms_per_pod: number;
    peak_rss_mb: number;
    /** CPU the replicas use with nothing to do (leader elected, no pods), summed, in ms per second. */
    idle_cpu_ms_per_s: number;
  };
  failover_ms: Percentiles & { kills: number };
  rss_10k_pods_mb: number;
  init: {
    startup_ms: number;
    binary_mb: number;
    image_mb_compressed: number | null;
    peak_rss_mb: number | null;
  };
  raft: { commit_p50_ms: number; commit_p99_ms: number; commits_per_s: number };
  gossip: { detect_p50_ms: number; detect_p99_ms: number };
}

export type FigureKey = keyof Figures;

/** How a figure was produced; RESULTS.md explains each. */
export type Mode =
  | "real init executable"
  | "in-process fleet"
  | "minimal client"
  | "controllers only"
  | "in-process UDP cluster"
  | "in-process Raft cluster";

export type Outcome<K extends FigureKey> =
  | { value: Figures[K]; mode: Mode; notes: string[] }
  | { value: null; reason: string };

export interface BenchContext {
  quick: boolean;
  /** Overrides every section's sample count (smoke tests); figures then say they are below the asked minimum. */
  iterations: number | undefined;
  /** Repository root. */
  root: string;
  /** Scratch space for this run (sandboxes, pod files). */
  stateDir: string;
  /** A provisioned sandbox named `name`, started on first use and stopped when the run ends. */
  sandbox(name: string): Promise<Sandbox>;
  progress(line: string): void;
}

export interface Section<K extends FigureKey> {
  key: K;
  /** The name `--only` accepts. */
  name: string;
  goal: string;
  anchor: string;
  run(context: BenchContext): Promise<Outcome<K>>;
  /** Whether a measured figure meets its goal; undefined when the goal needs a figure that is missing. */
  verdict?(value: Figures[K], all: Partial<{ [F in FigureKey]: Figures[F] | null }>): boolean | undefined;
}

export type AnySection = { [K in FigureKey]: Section<K> }[FigureKey];

export const unmeasured = (reason: string): { value: null; reason: string } => ({ value: null, reason });

/** Sample counts: the full count, fewer with --quick, or exactly --iterations. */
export function sampleCount(context: BenchContext, full: number, quick: number): number {
  return context.iterations ?? (context.quick ? quick : full);
}
