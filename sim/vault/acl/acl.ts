/**
 * The ACL a token's policies add up to, with Vault's matching rules (docs/concepts/policies, "Priority matching"):
 * - rules for the identical path string in several policies merge (capabilities union; `deny` wins outright);
 * - an exact path beats any pattern; among matching patterns the most specific one alone decides, where P1 loses
 *   to P2 when its first `+` or `*` comes earlier, when it ends in `*` and P2 does not, when it has more `+`
 *   segments, when it is shorter, and finally when it sorts lower;
 * - a token holding the `root` policy may do anything.
 */
import type { Operation } from "../core/logical.ts";
import type { PathRule, Policy } from "./policy.ts";

interface CompiledRule extends PathRule {
  regex: RegExp;
}

function compile(rule: PathRule): CompiledRule {
  const glob = rule.path.endsWith("*");
  const body = glob ? rule.path.slice(0, -1) : rule.path;
  const source = body
    .split("/")
    .map((segment) => (segment === "+" ? "[^/]*" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return { ...rule, regex: new RegExp(`^${source}${glob ? ".*" : ""}$`) };
}

function firstWildcard(path: string): number {
  const plus = path.split("/").indexOf("+");
  // The character index of the "+" itself: the segments before it plus their slashes.
  const plusAt =
    plus < 0
      ? Number.POSITIVE_INFINITY
      : path.split("/").slice(0, plus).join("/").length + (plus > 0 ? 1 : 0);
  const star = path.endsWith("*") ? path.length - 1 : Number.POSITIVE_INFINITY;
  return Math.min(plusAt, star);
}

const plusCount = (path: string): number => path.split("/").filter((s) => s === "+").length;

/** Positive when `a` has the higher priority. */
export function comparePriority(a: string, b: string): number {
  const wa = firstWildcard(a);
  const wb = firstWildcard(b);
  if (wa !== wb) return wa > wb ? 1 : -1;
  const ga = a.endsWith("*");
  const gb = b.endsWith("*");
  if (ga !== gb) return ga ? -1 : 1;
  const pa = plusCount(a);
  const pb = plusCount(b);
  if (pa !== pb) return pa < pb ? 1 : -1;
  if (a.length !== b.length) return a.length > b.length ? 1 : -1;
  return a === b ? 0 : a > b ? 1 : -1;
}

function merge(into: PathRule, rule: PathRule): void {
  for (const c of rule.capabilities) into.capabilities.add(c);
  if (into.capabilities.has("deny")) into.capabilities = new Set(["deny"]);
  // Vault keeps the lower of two set minimums: merging policies can only loosen a bound.
  const minimums = [into.minWrappingTtl, rule.minWrappingTtl].filter((t) => t > 0);
  into.minWrappingTtl = minimums.length > 0 ? Math.min(...minimums) : 0;
  into.maxWrappingTtl = Math.max(into.maxWrappingTtl, rule.maxWrappingTtl);
  into.requiredParameters = [...new Set([...into.requiredParameters, ...rule.requiredParameters])];
}

export class Acl {
  readonly root: boolean;
  private readonly rules: CompiledRule[];

  constructor(policies: Policy[], root: boolean) {
    this.root = root;
    const byPath = new Map<string, PathRule>();
    for (const rule of policies.flatMap((p) => p.rules)) {
      const existing = byPath.get(rule.path);
      if (existing) merge(existing, rule);
      else byPath.set(rule.path, { ...rule, capabilities: new Set(rule.capabilities) });
    }
    this.rules = [...byPath.values()].map(compile);
  }

  /** The single rule that governs `path`, or undefined when none matches. */
  ruleFor(path: string): PathRule | undefined {
    let best: CompiledRule | undefined;
    for (const rule of this.rules) {
      if (!rule.regex.test(path)) continue;
      if (!best || comparePriority(rule.path, best.path) > 0) best = rule;
    }
    return best;
  }

  capabilities(path: string): Set<string> {
    if (this.root) return new Set(["root"]);
    const rule = this.ruleFor(path);
    return rule ? new Set(rule.capabilities) : new Set(["deny"]);
  }

  allows(path: string, operation: Operation, needsSudo = false): boolean {
    if (this.root) return true;
    const capabilities = this.capabilities(path);
    if (capabilities.has("deny")) return false;
    if (needsSudo && !capabilities.has("sudo")) return false;
    return capabilities.has(operation);
  }
}
