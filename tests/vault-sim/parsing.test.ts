// The small parsers behind the stand-in: policy HCL, Vault durations, CIDR membership.
import { describe, expect, test } from "bun:test";
import { parsePolicy } from "../../sim/vault/acl/policy.ts";
import { addressInCidr, cidrsWithin, normalizeAddress } from "../../sim/vault/core/cidr.ts";
import { formatGoDuration, parseDurationSeconds } from "../../sim/vault/core/duration.ts";

describe("docs/concepts/policies#policy-syntax", () => {
  test("comments of every kind, several blocks, and the parameter constraints", () => {
    const policy = parsePolicy(
      "p",
      `# hash comment
// slash comment
/* block
   comment */
path "auth/approle/role/+/secret-id" {
  capabilities = ["create", "update",]
  required_parameters = ["cidr_list"]
  allowed_parameters = {
    "cidr_list" = []
    "metadata" = []
  }
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = 300
}
path "sys/*" { capabilities = ["deny"] }`,
    );
    expect(policy.rules).toHaveLength(2);
    const [first, second] = policy.rules;
    expect([...(first?.capabilities ?? [])]).toEqual(["create", "update"]);
    expect(first?.requiredParameters).toEqual(["cidr_list"]);
    expect(Object.keys(first?.allowedParameters ?? {})).toEqual(["cidr_list", "metadata"]);
    expect(first?.minWrappingTtl).toBe(1);
    expect(first?.maxWrappingTtl).toBe(300);
    expect([...(second?.capabilities ?? [])]).toEqual(["deny"]);
  });

  test("the legacy policy = shorthand expands as Vault did", () => {
    const policy = parsePolicy("p", 'path "secret/*" { policy = "write" }');
    expect([...(policy.rules[0]?.capabilities ?? [])].sort()).toEqual([
      "create",
      "delete",
      "list",
      "read",
      "update",
    ]);
  });

  test("errors name the line or the path", () => {
    expect(() => parsePolicy("p", 'path "x" {\n capabilities = ["read"]')).toThrow("unexpected end");
    expect(() => parsePolicy("p", 'path "x" { capabilities = ["reed"] }')).toThrow(
      'path "x": invalid capability "reed"',
    );
    expect(() => parsePolicy("p", 'key "x" {}')).toThrow('unsupported block "key"');
    expect(() => parsePolicy("p", 'path "x" {\n\n capabilities = @\n}')).toThrow("line 3");
  });
});

describe("Vault duration parameters (parseutil.ParseDurationSecond)", () => {
  test("integers are seconds; Go durations are summed", () => {
    expect(parseDurationSeconds("90")).toBe(90);
    expect(parseDurationSeconds(90)).toBe(90);
    expect(parseDurationSeconds("1h30m")).toBe(5400);
    expect(parseDurationSeconds("87600h")).toBe(315_360_000);
    expect(parseDurationSeconds("1.5h")).toBe(5400);
    expect(parseDurationSeconds("")).toBe(0);
    expect(parseDurationSeconds("soon")).toBeUndefined();
    expect(parseDurationSeconds("5 m")).toBeUndefined();
    expect(formatGoDuration(3600)).toBe("1h0m0s");
    expect(formatGoDuration(61)).toBe("1m1s");
  });
});

describe("CIDR membership for cidr_list and token_bound_cidrs", () => {
  test("IPv4, IPv6 and IPv4-mapped addresses", () => {
    expect(addressInCidr("127.1.2.3", "127.0.0.0/8")).toBe(true);
    expect(addressInCidr("127.1.2.3", "127.1.2.4/32")).toBe(false);
    expect(addressInCidr("127.1.2.3", "127.1.2.3")).toBe(true);
    expect(addressInCidr("::ffff:127.1.2.3", "127.1.2.3/32")).toBe(true);
    expect(addressInCidr("::1", "::1/128")).toBe(true);
    expect(addressInCidr("fd00::5", "fd00::/8")).toBe(true);
    expect(addressInCidr("::1", "127.0.0.1/32")).toBe(false);
    expect(normalizeAddress("::FFFF:10.0.0.1")).toBe("10.0.0.1");
  });

  test("a block list lies within another", () => {
    expect(cidrsWithin(["127.1.0.5/32"], ["127.1.0.0/16"])).toBe(true);
    expect(cidrsWithin(["127.0.0.0/8"], ["127.1.0.0/16"])).toBe(false);
  });
});
