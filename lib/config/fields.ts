/**
 * Field schemas for environment variables: valibot schemas from `string | undefined` (the raw env value) to a
 * typed value, whose issues carry a problem and a fix and never the value itself (some variables are secrets).
 *
 * Contract: an unset or blank variable is "absent"; absent + default gives the default, absent + required gives a
 * problem. `parseFields` runs every field, collecting all problems, and returns whichever values did parse so
 * cross-field rules can still be checked in the same pass.
 */
import * as v from "valibot";
import type { ConfigProblem } from "./errors.ts";

export type Env = Record<string, string | undefined>;

/** What a converter says about a present value: its typed form, or what is wrong with it and how to fix it. */
export type Converted<T> = { ok: true; value: T } | { ok: false; problem: string; fix: string };

export const accept = <T>(value: T): Converted<T> => ({ ok: true, value });
export const refuse = (problem: string, fix: string): Converted<never> => ({ ok: false, problem, fix });

export type Converter<T> = (text: string) => Converted<T>;

/** valibot issues hold one message; the fix travels after this separator and is split off in `parseFields`. */
const FIX_SEPARATOR = "\u0000fix\u0000";

export type FieldSchema<T> = v.GenericSchema<string | undefined, T>;

interface FieldOptions<T> {
  /** When absent: the fix to suggest (required), or the default value. */
  required?: string;
  default?: T;
}

export function field<T>(convert: Converter<T>, options: { required: string }): FieldSchema<T>;
export function field<T>(convert: Converter<T>, options: { default: T }): FieldSchema<T>;
export function field<T>(convert: Converter<T>, options?: Record<string, never>): FieldSchema<T | undefined>;
export function field<T>(convert: Converter<T>, options: FieldOptions<T> = {}): FieldSchema<T | undefined> {
  return v.pipe(
    v.optional(v.string(`must be text${FIX_SEPARATOR}set it as a plain string`)),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const raw = dataset.value;
      if (raw === undefined || raw.trim() === "") {
        if (options.required !== undefined) {
          addIssue({ message: `is not set${FIX_SEPARATOR}${options.required}` });
          return NEVER;
        }
        return options.default;
      }
      const converted = convert(raw);
      if (converted.ok) return converted.value;
      addIssue({ message: `${converted.problem}${FIX_SEPARATOR}${converted.fix}` });
      return NEVER;
    }),
  );
}

export type FieldValues<S extends Record<string, FieldSchema<unknown>>> = {
  [K in keyof S]: v.InferOutput<S[K]>;
};

export interface ParsedFields<S extends Record<string, FieldSchema<unknown>>> {
  /** Only the fields that parsed; a failed field is missing and has a problem. */
  values: Partial<FieldValues<S>>;
  problems: ConfigProblem[];
}

export function problemFromMessage(variable: string, message: string): ConfigProblem {
  const [problem = message, fix = "see the documentation of this setting"] = message.split(FIX_SEPARATOR);
  return { variable, problem, fix };
}

export function parseFields<S extends Record<string, FieldSchema<unknown>>>(
  shape: S,
  env: Env,
): ParsedFields<S> {
  const values: Partial<FieldValues<S>> = {};
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(shape) as (keyof S & string)[]) {
    const schema = shape[name] as S[typeof name];
    const result = v.safeParse(schema, env[name]);
    if (result.success) values[name] = result.output as FieldValues<S>[typeof name];
    else for (const issue of result.issues) problems.push(problemFromMessage(name, issue.message));
  }
  return { values, problems };
}
