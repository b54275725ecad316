// lib/log: JSON lines, level floor, and redaction of fields that name secrets.
import { expect, test } from "bun:test";
import { createLogger } from "../../lib/log/index.ts";

test("the level floor drops debug by default and fields naming secrets are redacted", () => {
  const lines: string[] = [];
  const log = createLogger("info", { component: "t" }, (line) => lines.push(line));
  log.debug("hidden");
  log.info("issued", {
    token: "s.abc",
    secretId: "xyz",
    tokenAccessor: "acc",
    wrapTtl: 60,
    nested: { clientToken: "s.q" },
  });
  expect(lines).toHaveLength(1);
  const record = JSON.parse(lines[0] ?? "{}");
  expect(record).toMatchObject({
    level: "info",
    msg: "issued",
    component: "t",
    token: "[redacted]",
    secretId: "[redacted]",
  });
  expect(record.tokenAccessor).toBe("acc");
  expect(record.wrapTtl).toBe(60);
  expect(record.nested.clientToken).toBe("[redacted]");
  expect(lines[0]).not.toContain("s.abc");
});
