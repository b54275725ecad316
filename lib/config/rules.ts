/**
 * Rules that span several variables: settings that only make sense in pairs, and where the allow-list comes from.
 *
 * Contract: each rule appends problems (never throws for a configuration mistake) so that loadControllerConfig
 * can still report everything at once.
 */
import { type AllowList, parseAllowList } from "./allow-list/index.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import type { Env } from "./fields.ts";

/** Where the allow-list comes from: inline text (already parsed) or a file read at start-up (files.ts). */
export type AllowListSource = { kind: "inline"; list: AllowList } | { kind: "file"; path: string };

export const isSet = (env: Env, name: string): boolean => (env[name] ?? "").trim() !== "";

export function allowListSource(
  inline: string | undefined,
  file: string | undefined,
  problems: ConfigProblem[],
): AllowListSource | undefined {
  if (inline !== undefined && file !== undefined) {
    problems.push({
      variable: "ALLOWED_ROLES_FILE",
      problem: "both ALLOWED_ROLES and ALLOWED_ROLES_FILE are set",
      fix: "keep only one of them",
    });
    return undefined;
  }
  if (file !== undefined) return { kind: "file", path: file };
  if (inline === undefined) {
    problems.push({
      variable: "ALLOWED_ROLES",
      problem: "no allow-list is set, so no pod could receive a secret_id (deny by default)",
      fix: 'set ALLOWED_ROLES (e.g. "default/my-app: my-approle") or ALLOWED_ROLES_FILE to a file of such entries',
    });
    return undefined;
  }
  try {
    return { kind: "inline", list: parseAllowList(inline, "ALLOWED_ROLES") };
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems);
    else throw error;
    return undefined;
  }
}

/** Judged on what is set (not on what parsed), so a malformed value is reported once, as malformed. */
export function pairProblems(env: Env, a: string, b: string, why: string): ConfigProblem[] {
  const hasA = isSet(env, a);
  const hasB = isSet(env, b);
  if (hasA === hasB) return [];
  const [missing, present] = hasA ? [b, a] : [a, b];
  return [
    {
      variable: missing,
      problem: `${present} is set but ${missing} is not (${why})`,
      fix: `set both ${a} and ${b}, or neither`,
    },
  ];
}
