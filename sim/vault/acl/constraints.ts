/**
 * The fine-grained parts of a policy rule that Vault checks after the capability: min/max_wrapping_ttl,
 * required_parameters, allowed_parameters and denied_parameters (docs/concepts/policies#fine-grained-control).
 * A violation is a plain 403 "permission denied", as in Vault.
 */
import type { PathRule } from "./policy.ts";

function valueMatches(allowed: unknown[], value: unknown): boolean {
  if (allowed.length === 0) return true;
  const values = Array.isArray(value) ? value : [value];
  return values.every((v) => allowed.some((a) => String(a) === String(v)));
}

export function ruleConstraintsAllow(
  rule: PathRule | undefined,
  body: Record<string, unknown>,
  wrapTtl: number | undefined,
): boolean {
  if (!rule) return true;
  if (rule.minWrappingTtl > 0 && (wrapTtl === undefined || wrapTtl < rule.minWrappingTtl)) return false;
  if (rule.maxWrappingTtl > 0 && (wrapTtl === undefined || wrapTtl > rule.maxWrappingTtl)) return false;
  if (!rule.requiredParameters.every((name) => name in body)) return false;
  for (const [name, value] of Object.entries(body)) {
    const denied = rule.deniedParameters;
    if (denied) {
      const list = denied[name] ?? denied["*"];
      if (list && (list.length === 0 || valueMatches(list, value))) return false;
    }
    const allowed = rule.allowedParameters;
    if (allowed) {
      const list = allowed[name] ?? allowed["*"];
      if (!list || !valueMatches(list, value)) return false;
    }
  }
  return true;
}
