// The token keeper: refusals at start, renewal at half the TTL, back-off on failure, loud logs before expiry.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../lib/controller/support/clock.ts";
import {
  type ControllerTokenInfo,
  delayAfterFailure,
  expiryAlarm,
  ROOT_TOKEN_REFUSAL,
  startTokenKeeper,
  TokenLookupError,
  TokenRefusedError,
  type TokenRoleInfo,
  type TokenVault,
  tokenProblems,
} from "../../lib/controller/token-keeper/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import { manualClock, settle } from "./support/manual-clock.ts";

const good: ControllerTokenInfo = {
  policies: ["default", "kubernetes-vault"],
  renewable: true,
  periodSeconds: 3600,
  ttlSeconds: 3600,
  explicitMaxTtlSeconds: 0,
  role: "kubernetes-vault",
};
const goodRole: TokenRoleInfo = { periodSeconds: 3600, explicitMaxTtlSeconds: 0 };

function harness(token: ControllerTokenInfo, role: TokenRoleInfo | Error = goodRole) {
  const clock = manualClock();
  const logs: { level: string; msg: string }[] = [];
  const counts = { attempted: 0, failed: 0, ttls: [] as number[] };
  let renewal: () => Promise<{ ttlSeconds: number }> = async () => ({ ttlSeconds: token.ttlSeconds });
  const vault: TokenVault = {
    lookupSelf: async () => token,
    renewSelf: () => renewal(),
    readTokenRole: async () => {
      if (role instanceof Error) throw role;
      return role;
    },
  };
  const start = () =>
    startTokenKeeper({
      vault,
      clock,
      random: seededRandom(1),
      log: createLogger("debug", {}, (line) => logs.push(JSON.parse(line))),
      metrics: {
        renewalAttempted: () => counts.attempted++,
        renewalFailed: () => counts.failed++,
        tokenTtl: (seconds) => counts.ttls.push(seconds),
      },
    });
  return {
    clock,
    logs,
    counts,
    vault,
    start,
    renewWith: (next: () => Promise<{ ttlSeconds: number }>) => {
      renewal = next;
    },
  };
}

describe("token rules", () => {
  test("a root token is refused with the clear message, whatever else it has", async () => {
    expect(tokenProblems({ ...good, policies: ["root"] })).toEqual([ROOT_TOKEN_REFUSAL]);
    expect(ROOT_TOKEN_REFUSAL).toStartWith("root tokens are not allowed");
    expect(ROOT_TOKEN_REFUSAL).toContain("VAULT_TOKEN");
    const error = await harness({ ...good, policies: ["default", "root"] })
      .start()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect((error as Error).message).toContain("root tokens are not allowed");
  });

  test("non-renewable, non-periodic and max-TTL tokens are refused with every problem listed", () => {
    const problems = tokenProblems({
      ...good,
      renewable: false,
      periodSeconds: 0,
      explicitMaxTtlSeconds: 7200,
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain("not renewable");
    expect(problems[1]).toContain("not periodic");
    expect(problems[2]).toContain("explicit max TTL of 7200s");
  });

  test("the token role must have a period and no explicit max TTL", async () => {
    const problems = tokenProblems(good, { periodSeconds: 0, explicitMaxTtlSeconds: 60 });
    expect(problems).toEqual([
      expect.stringContaining('token role "kubernetes-vault" has no period'),
      expect.stringContaining("token_explicit_max_ttl=0"),
    ]);
    await expect(
      harness(good, { periodSeconds: 0, explicitMaxTtlSeconds: 0 }).start(),
    ).rejects.toBeInstanceOf(TokenRefusedError);
  });

  test("an unreadable token role is warned about and the token's own fields decide", async () => {
    const h = harness(good, new Error("permission denied"));
    const keeper = await h.start();
    expect(
      h.logs.some((l) => l.level === "warn" && l.msg.includes('cannot read token role "kubernetes-vault"')),
    ).toBe(true);
    keeper.stop();
  });

  test("a failed lookup is a TokenLookupError with a hint, not a stack trace", async () => {
    const h = harness(good);
    h.vault.lookupSelf = () => Promise.reject(new Error("connect ECONNREFUSED"));
    const error = await h.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenLookupError);
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect((error as Error).message).toContain("VAULT_ADDR");
  });
});

describe("token keeper schedule", () => {
  test("renews at half the TTL, and again at half of each new TTL", async () => {
    const h = harness(good);
    const keeper = await h.start();
    h.clock.advance(1_799_999);
    expect(h.counts.attempted).toBe(0);
    h.clock.advance(1);
    await settle();
    expect(h.counts.attempted).toBe(1);
    expect(keeper.remainingTtlMs()).toBe(3_600_000);
    h.clock.advance(1_800_000);
    await settle();
    expect(h.counts.attempted).toBe(2);
    expect(h.counts.ttls).toEqual([3600, 3600, 3600]);
    keeper.stop();
    h.clock.advance(10_000_000);
    expect(h.counts.attempted).toBe(2);
  });

  test("failures back off, log louder as expiry nears, and stop once renewal works again", async () => {
    const h = harness(good);
    const keeper = await h.start();
    h.renewWith(() => Promise.reject(new Error("Vault is sealed")));
    h.clock.advance(1_800_000);
    await settle();
    expect(h.counts.failed).toBe(1);
    expect(h.logs.at(-1)?.level).toBe("warn");
    // Let failures pile up until the token is in danger (< 1/4 of the period left).
    for (let i = 0; i < 200 && keeper.remainingTtlMs() > 800_000; i++) {
      h.clock.advance(60_000);
      await settle();
    }
    expect(h.counts.failed).toBeGreaterThan(5);
    expect(h.logs.some((l) => l.level === "error" && l.msg.includes("expires soon"))).toBe(true);
    h.renewWith(async () => ({ ttlSeconds: 3600 }));
    h.clock.advance(60_000);
    await settle();
    expect(keeper.remainingTtlMs()).toBeGreaterThan(3_500_000);
    expect(h.logs.at(-1)?.msg).toContain("renewed again");
    keeper.stop();
  });

  test("retry delays grow, are capped, and shrink as expiry nears", () => {
    const random = seededRandom(3);
    const hour = 3_600_000;
    const delays = [0, 1, 2, 3, 10].map((n) => delayAfterFailure(n, hour, random));
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
    expect(delays[3] ?? 0).toBeGreaterThan(delays[0] ?? 0);
    expect(delays[4]).toBeLessThanOrEqual(60_000);
    expect(delayAfterFailure(10, 10_000, random)).toBeLessThanOrEqual(5_000);
    expect(delayAfterFailure(10, -1, random)).toBeGreaterThan(40_000);
  });

  test("alarm levels follow the time left against the period", () => {
    expect(expiryAlarm(3_000_000, 3_600_000)).toBe("ok");
    expect(expiryAlarm(1_500_000, 3_600_000)).toBe("warn");
    expect(expiryAlarm(800_000, 3_600_000)).toBe("danger");
    expect(expiryAlarm(0, 3_600_000)).toBe("expired");
  });
});
