/**
 * The shell shared by the sandbox's long-running commands (`bun run demo`, `bun run chaos`): flags parsed with a
 * usage on error (exit 2), a state directory, a registry of everything started so that every exit path (success,
 * failure, SIGINT/SIGTERM/SIGHUP) stops it by pid, and the state kept for reading only when the run failed.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface CliSession<Options> {
  options: Options;
  stateDir: string;
  /** Registers how to stop something the run started; stops run in reverse order. */
  track(stop: () => Promise<void>): void;
  /** Stops everything, removes the state after a pass (keeps it after a failure) and exits 0 or 1. */
  finish(ok: boolean, epilogue?: () => void): Promise<never>;
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

export function openCliSession<Options extends { help?: boolean; stateDir?: string }>(
  what: string,
  usage: string,
  parse: (argv: string[]) => Options,
): CliSession<Options> {
  let options: Options;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(usage);
    process.exit(0);
  }
  const stateDir = options.stateDir
    ? resolve(options.stateDir)
    : mkdtempSync(join(tmpdir(), `kubernetes-vault-${what.split(" ")[0]}-`));
  mkdirSync(stateDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    })();
    return stopping;
  };
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, async () => {
      console.log(`\n${signal}: stopping everything the ${what} started`);
      await stopAll();
      console.log(`logs and state kept in ${stateDir}`);
      process.exit(code);
    });
  }
  return {
    options,
    stateDir,
    track: (stop) => {
      stops.push(stop);
    },
    async finish(ok, epilogue) {
      await stopAll();
      if (ok) rmSync(stateDir, { recursive: true, force: true });
      else console.log(`logs and state kept in ${stateDir}`);
      epilogue?.();
      process.exit(ok ? 0 : 1);
    },
  };
}
