/**
 * Field selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/): `field=value`,
 * `field==value` and `field!=value` joined by commas; only the fields each resource type supports, and any other
 * field is refused with the API server's own message, "field label not supported: <field>".
 * Backslash escapes (`\,`, `\=`, `\\`) in values follow k8s.io/apimachinery/pkg/fields.
 */
import type { JsonObject } from "../json.ts";
import { apiErrors } from "../status.ts";

export type FieldGetter = (object: JsonObject) => string;
export type FieldPredicate = (object: JsonObject) => boolean;

interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\\" && i + 1 < text.length) {
      current += char + text[i + 1];
      i++;
    } else if (char === separator) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}

function parseRequirement(selector: string, term: string): FieldRequirement {
  const match = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/s.exec(term.trim());
  if (!match?.[1] || match[2] === undefined)
    throw apiErrors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
  return { field: match[1], negate: match[2] === "!=", value: unescapeValue(match[3] ?? "") };
}

/** Parses `selector` against `fields` (the labels this resource type supports); throws a 400 Status error. */
export function parseFieldSelector(
  selector: string | undefined | null,
  fields: Readonly<Record<string, FieldGetter>>,
): FieldPredicate {
  if (!selector?.trim()) return () => true;
  const requirements = splitUnescaped(selector, ",").map((term) => parseRequirement(selector, term));
  const checks = requirements.map(({ field, negate, value }) => {
    const getter = fields[field];
    if (!getter) throw apiErrors.badRequest(`field label not supported: ${field}`);
    return (object: JsonObject) => (getter(object) === value) !== negate;
  });
  return (object) => checks.every((check) => check(object));
}
