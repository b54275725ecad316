/**
 * A Vault ACL policy parsed from HCL into path rules: capabilities, the legacy `policy = "read"` shorthand, and the
 * wrapping TTL bounds and parameter constraints we enforce.
 */
import { parseDurationSeconds } from "../core/duration.ts";
import { type HclValue, parseHcl } from "./hcl.ts";

export const CAPABILITIES = [
  "create",
  "read",
  "update",
  "patch",
  "delete",
  "list",
  "sudo",
  "deny",
  "subscribe",
  "recover",
];

/** What the legacy `policy = "..."` values stood for. */
const LEGACY: Record<string, string[]> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "delete", "list"],
  sudo: ["create", "read", "update", "delete", "list", "sudo"],
};

export interface PathRule {
  path: string;
  capabilities: Set<string>;
  minWrappingTtl: number;
  maxWrappingTtl: number;
  requiredParameters: string[];
  /** Parameter name -> allowed values ([] = any value); undefined = no constraint. */
  allowedParameters?: Record<string, unknown[]>;
  deniedParameters?: Record<string, unknown[]>;
}

export interface Policy {
  name: string;
  text: string;
  rules: PathRule[];
}

function stringList(value: HclValue | undefined, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw new Error(`${where}: expected a list of strings`);
  return value as string[];
}

function parameterMap(value: HclValue | undefined, where: string): Record<string, unknown[]> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${where}: expected a map of lists`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}

function duration(value: HclValue | undefined, where: string): number {
  if (value === undefined) return 0;
  const seconds =
    typeof value === "string" || typeof value === "number" ? parseDurationSeconds(value) : undefined;
  if (seconds === undefined) throw new Error(`${where}: expected a duration`);
  return seconds;
}

export function parsePolicy(name: string, text: string): Policy {
  const rules: PathRule[] = [];
  for (const block of parseHcl(text)) {
    if (block.type !== "path")
      throw new Error(`unsupported block "${block.type}": only path blocks are allowed`);
    const where = `path "${block.label}"`;
    const capabilities = new Set(stringList(block.body.capabilities, `${where} capabilities`));
    const legacy = block.body.policy;
    if (legacy !== undefined) {
      const expanded = typeof legacy === "string" ? LEGACY[legacy] : undefined;
      if (!expanded) throw new Error(`${where}: invalid policy value ${JSON.stringify(legacy)}`);
      for (const c of expanded) capabilities.add(c);
    }
    for (const c of capabilities) {
      if (!CAPABILITIES.includes(c)) throw new Error(`${where}: invalid capability "${c}"`);
    }
    const rule: PathRule = {
      path: block.label.replace(/^\/+/, ""),
      capabilities: capabilities.has("deny") ? new Set(["deny"]) : capabilities,
      minWrappingTtl: duration(block.body.min_wrapping_ttl, `${where} min_wrapping_ttl`),
      maxWrappingTtl: duration(block.body.max_wrapping_ttl, `${where} max_wrapping_ttl`),
      requiredParameters: stringList(block.body.required_parameters, `${where} required_parameters`),
    };
    const allowed = parameterMap(block.body.allowed_parameters, `${where} allowed_parameters`);
    const denied = parameterMap(block.body.denied_parameters, `${where} denied_parameters`);
    if (allowed) rule.allowedParameters = allowed;
    if (denied) rule.deniedParameters = denied;
    rules.push(rule);
  }
  return { name, text, rules };
}
