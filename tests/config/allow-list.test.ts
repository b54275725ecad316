// The allow-list: format (newlines or ';', '#' comments, globs), every bad entry reported, deny by default,
// and reasons that name the namespace, service account, role and the setting to change.
import { describe, expect, test } from "bun:test";
import { type AllowList, allowListDecision, ConfigError, parseAllowList } from "../../lib/config/index.ts";

const LIST = `
# payments may read and write; its api account only reads
payments/api: payments-reader
payments/worker: payments-reader, payments-writer   # two roles
team-*: team-shared ; monitoring/*: metrics-*
`;

function decide(list: AllowList, namespace: string, serviceAccount: string, role: string) {
  return allowListDecision(list, { namespace, serviceAccount, role });
}

describe("parseAllowList", () => {
  test("entries on lines and after ';', comments dropped, service account defaults to *", () => {
    const list = parseAllowList(LIST);
    expect(list.source).toBe("ALLOWED_ROLES");
    expect(
      list.entries.map((e) => [
        e.line,
        e.namespace.pattern,
        e.serviceAccount.pattern,
        e.roles.map((r) => r.pattern),
      ]),
    ).toEqual([
      [3, "payments", "api", ["payments-reader"]],
      [4, "payments", "worker", ["payments-reader", "payments-writer"]],
      [5, "team-*", "*", ["team-shared"]],
      [5, "monitoring", "*", ["metrics-*"]],
    ]);
  });

  test("an empty list (or only comments) is valid", () => {
    expect(parseAllowList("").entries).toEqual([]);
    expect(parseAllowList("# nothing yet\n  \n;;").entries).toEqual([]);
  });

  test("every bad entry is reported at once, with its line, naming the setting", () => {
    let error: ConfigError | undefined;
    try {
      parseAllowList(
        "ok: fine\nno colon here\nBad_NS: r\nns/sa/extra: r\nns:   \nns: a/b, ..",
        "ALLOWED_ROLES_FILE (/etc/allowed)",
      );
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = error?.problems ?? [];
    expect(problems.map((p) => p.variable)).toEqual(Array(5).fill("ALLOWED_ROLES_FILE (/etc/allowed)"));
    expect(problems.map((p) => p.problem.split(",")[0])).toEqual([
      "line 2",
      "line 3",
      "line 4",
      "line 5",
      "line 6",
    ]);
    expect(problems[0]?.problem).toContain("no ':'");
    expect(problems[1]?.problem).toContain('"Bad_NS" is not a namespace name or glob');
    expect(problems[2]?.problem).toContain("more than one '/'");
    expect(problems[3]?.problem).toContain("names no AppRole");
    expect(problems[4]?.problem).toContain('"a/b" is not an AppRole name');
    expect(problems[4]?.problem).toContain('".." is not an AppRole name');
    for (const p of problems) expect(p.fix).toContain("<namespace>[/<serviceAccount>]: <role>");
  });
});

describe("allowListDecision", () => {
  const list = parseAllowList(LIST);

  test("exact namespace and service account", () => {
    const decision = decide(list, "payments", "api", "payments-reader");
    expect(decision.allowed).toBe(true);
    expect(decision.reason).toContain("line 3");
    expect(decision.reason).toContain('service account "api" in namespace "payments"');
  });

  test("the right account, the wrong role: says which roles it may use and what to add", () => {
    const decision = decide(list, "payments", "api", "payments-writer");
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain('only AppRole(s) "payments-reader", not "payments-writer"');
    expect(decision.reason).toContain('add "payments/api: payments-writer" to ALLOWED_ROLES');
  });

  test("globs in namespace, service account and role", () => {
    expect(decide(list, "team-a", "default", "team-shared").allowed).toBe(true);
    expect(decide(list, "team-", "x", "team-shared").allowed).toBe(true);
    expect(decide(list, "monitoring", "prometheus", "metrics-reader").allowed).toBe(true);
    expect(decide(list, "monitoring", "prometheus", "logs-reader").allowed).toBe(false);
    expect(decide(list, "teams", "x", "team-shared").allowed).toBe(false);
  });

  test("a glob does not cross into regex syntax", () => {
    const dotted = parseAllowList("ns: app.v1");
    expect(decide(dotted, "ns", "sa", "app.v1").allowed).toBe(true);
    expect(decide(dotted, "ns", "sa", "appXv1").allowed).toBe(false);
  });

  test("nobody matches: deny, naming who and the setting to change", () => {
    const decision = decide(list, "default", "default", "payments-reader");
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe(
      'no entry in ALLOWED_ROLES covers service account "default" in namespace "default"; add "default/default: payments-reader" to ALLOWED_ROLES',
    );
  });

  test("an empty list denies everything and says so", () => {
    const decision = decide(parseAllowList("", "ALLOWED_ROLES_FILE (/etc/a)"), "ns", "sa", "role");
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain("ALLOWED_ROLES_FILE (/etc/a) is empty");
  });

  test("* allows every namespace any role (the original's behaviour, now explicit)", () => {
    expect(decide(parseAllowList("*: *"), "any", "sa", "any-role").allowed).toBe(true);
  });
});
