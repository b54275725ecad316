// The certificate keeper: first issuance or a clear error, renewal at half-life, listeners, back-off on failure.
import { describe, expect, test } from "bun:test";
import {
  CertificateIssueError,
  type IssuedCertificate,
  startCertificateKeeper,
} from "../../lib/controller/certificate-keeper/index.ts";
import { seededRandom } from "../../lib/controller/support/clock.ts";
import { createLogger } from "../../lib/log/index.ts";
import { manualClock, settle } from "./support/manual-clock.ts";

const HOUR = 3_600_000;

function harness() {
  const clock = manualClock();
  const logs: { level: string; msg: string }[] = [];
  const counts = { attempted: 0, failed: 0 };
  let serial = 0;
  let failure: Error | undefined;
  const issue = async (): Promise<IssuedCertificate> => {
    if (failure) throw failure;
    serial++;
    return {
      certPem: `cert-${serial}`,
      keyPem: `key-${serial}`,
      notBefore: clock.now(),
      notAfter: clock.now() + HOUR,
    };
  };
  const start = () =>
    startCertificateKeeper({
      purpose: "push client certificate",
      issue,
      clock,
      random: seededRandom(9),
      log: createLogger("debug", {}, (line) => logs.push(JSON.parse(line))),
      metrics: { renewalAttempted: () => counts.attempted++, renewalFailed: () => counts.failed++ },
    });
  return { clock, logs, counts, start, fail: (error: Error | undefined) => (failure = error) };
}

describe("certificate keeper", () => {
  test("no first certificate is a clear error naming the settings", async () => {
    const h = harness();
    h.fail(new Error("permission denied"));
    const error = await h.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CertificateIssueError);
    expect((error as Error).message).toContain("VAULT_CA_BACKEND");
    expect((error as Error).message).toContain("permission denied");
    expect(h.counts).toEqual({ attempted: 1, failed: 1 });
  });

  test("renews at half-life and hands the new certificate to listeners", async () => {
    const h = harness();
    const keeper = await h.start();
    const seen: string[] = [];
    keeper.onRenew((certificate) => void seen.push(certificate.certPem));
    keeper.onRenew(() => {
      throw new Error("rotate failed");
    });
    expect(keeper.current().certPem).toBe("cert-1");
    h.clock.advance(HOUR / 2 - 1);
    await settle();
    expect(keeper.current().certPem).toBe("cert-1");
    h.clock.advance(1);
    await settle();
    expect(keeper.current().certPem).toBe("cert-2");
    expect(seen).toEqual(["cert-2"]);
    expect(h.logs.some((l) => l.level === "error" && l.msg.includes("applying the renewed"))).toBe(true);
    h.clock.advance(HOUR / 2);
    await settle();
    expect(keeper.current().certPem).toBe("cert-3");
    keeper.stop();
    h.clock.advance(10 * HOUR);
    await settle();
    expect(keeper.current().certPem).toBe("cert-3");
  });

  test("failures retry with back-off, get loud near expiry, and recover", async () => {
    const h = harness();
    const keeper = await h.start();
    h.fail(new Error("Vault sealed"));
    for (let i = 0; i < 100 && keeper.current().notAfter - h.clock.now() > HOUR / 5; i++) {
      h.clock.advance(60_000);
      await settle();
    }
    expect(h.counts.failed).toBeGreaterThan(5);
    expect(h.logs.some((l) => l.level === "warn" && l.msg.includes("retrying with back-off"))).toBe(true);
    expect(h.logs.some((l) => l.level === "error" && l.msg.includes("expires soon"))).toBe(true);
    h.fail(undefined);
    h.clock.advance(60_000);
    await settle();
    expect(keeper.current().certPem).toBe("cert-2");
    keeper.stop();
  });
});
