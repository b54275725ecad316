/**
 * `bun run raft-sim --seeds N --steps M [--from S]`: runs the seeded Raft simulation for seeds
 * S..S+N-1 and prints a summary (seeds run, violations, first failing seed). Exits 1 on any violation.
 * Replay one failing seed with `--from <seed> --seeds 1 --verbose`.
 */
import { runSimulation } from "./sim/index.ts";

interface CliOptions {
  readonly seeds: number;
  readonly steps: number;
  readonly from: number;
  readonly verbose: boolean;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--verbose") verbose = true;
    else if (arg === "--seeds" || arg === "--steps" || arg === "--from")
      values.set(arg.slice(2), argv[++i] ?? "");
    else
      throw new Error(`raft-sim: unknown argument ${arg}; usage: --seeds N --steps M [--from S] [--verbose]`);
  }
  const count = (name: string, fallback: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`raft-sim: --${name} must be a whole number, got "${raw}"`);
    return value;
  };
  return { seeds: count("seeds", 100), steps: count("steps", 500), from: count("from", 1), verbose };
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  let failing = 0;
  let firstFailing: number | undefined;
  let committed = 0;
  let leaders = 0;
  let worstLiveness = 0;
  for (let seed = options.from; seed < options.from + options.seeds; seed++) {
    const result = runSimulation({ seed, steps: options.steps });
    committed += result.committed;
    leaders += result.leaders;
    worstLiveness = Math.max(worstLiveness, result.ticksToLeaderAfterHeal);
    if (options.verbose) {
      console.log(
        `seed ${seed}: committed ${result.committed}, leaders ${result.leaders}, heal->leader ${result.ticksToLeaderAfterHeal} ticks`,
      );
    }
    if (result.violations.length > 0) {
      failing++;
      firstFailing ??= seed;
      if (failing <= 5 || options.verbose) {
        console.log(
          `seed ${seed} FAILED (replay: bun run raft-sim --from ${seed} --seeds 1 --steps ${options.steps} --verbose)`,
        );
        for (const violation of result.violations) console.log(`  ${violation}`);
      }
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `raft-sim: ${options.seeds} seeds x ${options.steps} steps in ${seconds}s; ` +
      `failing seeds: ${failing}; first failing seed: ${firstFailing ?? "none"}; ` +
      `entries committed: ${committed}; leaders elected: ${leaders}; ` +
      `worst heal->leader: ${worstLiveness} ticks`,
  );
  return failing === 0 ? 0 : 1;
}

process.exitCode = main();
