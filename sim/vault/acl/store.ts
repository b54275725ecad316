/**
 * The policy store behind sys/policies/acl: names are lower-cased as Vault does, `root` cannot be written or
 * deleted, `default` can be rewritten but not deleted, and `response-wrapping` is internal (never listed).
 */
import { badRequest } from "../core/errors.ts";
import { Acl } from "./acl.ts";
import {
  DEFAULT_POLICY_TEXT,
  RESPONSE_WRAPPING_POLICY_NAME,
  RESPONSE_WRAPPING_POLICY_TEXT,
} from "./builtin.ts";
import { type Policy, parsePolicy } from "./policy.ts";

export class PolicyStore {
  private readonly policies = new Map<string, Policy>();
  private readonly internal = parsePolicy(RESPONSE_WRAPPING_POLICY_NAME, RESPONSE_WRAPPING_POLICY_TEXT);
  /** Compiled ACLs by policy set; every request needs one, and benchmarks send many. Cleared on any change. */
  private readonly aclCache = new Map<string, Acl>();

  constructor() {
    this.policies.set("default", parsePolicy("default", DEFAULT_POLICY_TEXT));
  }

  names(): string[] {
    return [...this.policies.keys(), "root"].sort();
  }

  get(name: string): Policy | undefined {
    const key = name.toLowerCase();
    if (key === "root") return { name: "root", text: "", rules: [] };
    return this.policies.get(key);
  }

  put(name: string, text: string): void {
    const key = name.toLowerCase();
    if (key === "root") throw badRequest('cannot update "root" policy');
    if (key === RESPONSE_WRAPPING_POLICY_NAME) throw badRequest(`cannot update "${key}" policy`);
    let policy: Policy;
    try {
      policy = parsePolicy(key, text);
    } catch (error) {
      throw badRequest(`failed to parse policy: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.policies.set(key, policy);
    this.aclCache.clear();
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    if (key === "root" || key === "default") throw badRequest(`cannot delete "${key}" policy`);
    this.policies.delete(key);
    this.aclCache.clear();
  }

  /** The ACL for a token's policies; policies that do not exist are skipped, as Vault does. */
  aclFor(policyNames: string[]): Acl {
    const key = policyNames.join("\n");
    const cached = this.aclCache.get(key);
    if (cached) return cached;
    const acl = this.compile(policyNames);
    this.aclCache.set(key, acl);
    return acl;
  }

  private compile(policyNames: string[]): Acl {
    const root = policyNames.includes("root");
    const found = policyNames.flatMap((name) => {
      if (name === RESPONSE_WRAPPING_POLICY_NAME) return [this.internal];
      const policy = this.policies.get(name);
      return policy ? [policy] : [];
    });
    return new Acl(found, root);
  }
}
