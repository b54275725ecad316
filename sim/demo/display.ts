/**
 * Live progress: on a TTY a few lines redrawn in place (notes scroll above them); otherwise plain lines, one per
 * note and one whenever the progress line changes, so logs and CI output stay readable.
 */
export interface ReplicaView {
  name: string;
  alive: boolean;
  leader: boolean;
}

export interface Progress {
  elapsedMs: number;
  created: number;
  total: number;
  served: number;
  allowed: number;
  replicas: ReplicaView[];
  /** Creation -> token file seen, for the pods served so far. */
  latencyMs: { p50: number; max: number } | undefined;
}

export interface Display {
  note(message: string): void;
  progress(progress: Progress): void;
  /** Leaves the last progress on screen and stops redrawing. */
  finish(): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function leaderText(replicas: ReplicaView[]): string {
  const leaders = replicas.filter((r) => r.alive && r.leader).map((r) => r.name);
  return leaders.length === 0 ? "none answering (election?)" : leaders.join(", ");
}

function progressLine(p: Progress): string {
  const latency = p.latencyMs ? `latency p50 ${p.latencyMs.p50} ms, max ${p.latencyMs.max} ms` : "latency -";
  return `[${seconds(p.elapsedMs)}] pods created ${p.created}/${p.total}, served ${p.served}/${p.allowed}, waiting ${p.allowed - p.served}; leader ${leaderText(p.replicas)}; ${latency}`;
}

function bar(done: number, total: number, width: number): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

function block(p: Progress): string[] {
  const replicas = p.replicas
    .map(
      (r) =>
        `${r.name} ${r.alive ? (r.leader ? "\x1b[32mLEADER\x1b[0m" : "follower") : "\x1b[31mdead\x1b[0m"}`,
    )
    .join("   ");
  return [
    `  elapsed   ${seconds(p.elapsedMs)}`,
    `  replicas  ${replicas}`,
    `  pods      ${bar(p.served, p.allowed, 30)} served ${p.served}/${p.allowed}  waiting ${p.allowed - p.served}  created ${p.created}/${p.total}`,
    `  latency   ${p.latencyMs ? `create -> token p50 ${p.latencyMs.p50} ms, max ${p.latencyMs.max} ms` : "-"}`,
  ];
}

export function createDisplay(out: NodeJS.WriteStream = process.stdout): Display {
  if (!out.isTTY) {
    let last = "";
    return {
      note: (message) => out.write(`${message}\n`),
      progress(p) {
        // Elapsed time changes every call; print only when something else did.
        const line = progressLine(p);
        const key = line.replace(/^\[[^\]]*\] /, "");
        if (key !== last) out.write(`${line}\n`);
        last = key;
      },
      finish() {},
    };
  }
  let drawn = 0;
  let current: Progress | undefined;
  const erase = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (!current) return;
    const lines = block(current);
    out.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  return {
    note(message) {
      erase();
      out.write(`${message}\n`);
      draw();
    },
    progress(p) {
      current = p;
      erase();
      draw();
    },
    finish() {
      drawn = 0;
    },
  };
}
