/**
 * Configuration errors: every problem found, at once, each naming the variable (or annotation), what is wrong and
 * how to fix it, so one restart fixes everything.
 *
 * Contract: no problem text ever contains the value of a secret variable; the schemas only describe values.
 * Programs exit with CONFIG_EXIT_CODE (2, as for a usage error) on a ConfigError.
 */

export const CONFIG_EXIT_CODE = 2;

export interface ConfigProblem {
  /** The environment variable, annotation or file setting at fault. */
  variable: string;
  problem: string;
  fix: string;
}

export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    readonly subject = "configuration",
  ) {
    super(formatProblems(problems, subject));
    this.name = "ConfigError";
  }
}

function formatProblems(problems: ConfigProblem[], subject: string): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const lines = problems.map((p) => `  - ${p.variable}: ${p.problem}\n    fix: ${p.fix}`);
  return [`invalid ${subject} (${count}):`, ...lines].join("\n");
}

/** A human, multi-line explanation for stderr. */
export function formatConfigError(error: ConfigError): string {
  return formatProblems(error.problems, error.subject);
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
