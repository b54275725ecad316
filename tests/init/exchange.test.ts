// exchangePush(): the checks before unwrapping, the three output modes and the choice of Vault CAs, with a fake Vault.
import { describe, expect, test } from "bun:test";
import {
  type ExchangeContext,
  type ExchangeSlot,
  exchangePush,
  type InitSettings,
} from "../../lib/init/index.ts";
import { encodeVaultCAs } from "../../lib/push/index.ts";
import {
  baseSettings,
  fakeVault,
  memoryFiles,
  NOW,
  quietLogger,
  samplePush,
  vaultDown,
  vaultRefusal,
} from "./fakes.ts";

const PEM_A = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
const PEM_B = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";

function setup(settings: Partial<InitSettings> = {}, pushAuthenticated = true) {
  const vault = fakeVault();
  const disk = memoryFiles();
  const logs: string[] = [];
  const ctx: ExchangeContext = {
    settings: baseSettings(settings),
    pushAuthenticated,
    openVault: vault.open,
    writeFiles: disk.write,
    now: () => NOW,
    log: quietLogger(logs),
  };
  return { vault, disk, ctx, logs };
}

describe("exchangePush modes", () => {
  test("token mode: lookup, unwrap, login, then the token file in the original's format", async () => {
    const { vault, disk, ctx } = setup();
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome).toEqual({
      ok: true,
      confirmation: { tokenAccessor: "token-accessor-1", secretIdAccessor: "sid-accessor-1" },
      paths: ["/creds/vault-token"],
    });
    expect(vault.calls).toEqual(["lookup", "unwrap", "login"]);
    expect(disk.files).toEqual([
      {
        path: "/creds/vault-token",
        content:
          '{"clientToken":"client-token-1","accessor":"token-accessor-1","leaseDuration":3600,"renewable":true,"vaultAddr":"https://vault.test:8200"}',
      },
    ]);
    expect(vault.closed).toBe(1);
  });

  test("secret-id mode writes vault-secret-id and never logs in", async () => {
    const { vault, disk, ctx } = setup({ mode: "secret-id" });
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok && outcome.confirmation).toEqual({ secretIdAccessor: "sid-accessor-1" });
    expect(vault.calls).toEqual(["lookup", "unwrap"]);
    expect(disk.files[0]).toEqual({
      path: "/creds/vault-secret-id",
      content:
        '{"roleId":"role-id-1","secretId":"secret-1","accessor":"sid-accessor-1","vaultAddr":"https://vault.test:8200"}',
    });
  });

  test("wrapped mode writes vault-wrapped-secret-id after the lookup, without spending the token", async () => {
    const { vault, disk, ctx } = setup({ mode: "wrapped-secret-id" });
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok && outcome.confirmation).toEqual({});
    expect(vault.calls).toEqual(["lookup"]);
    expect(disk.files[0]).toEqual({
      path: "/creds/vault-wrapped-secret-id",
      content:
        '{"roleId":"role-id-1","wrappedSecretId":"hvs.wrapping-token","vaultAddr":"https://vault.test:8200","ttl":60}',
    });
  });
});

describe("exchangePush refusals leave no file", () => {
  const cases: [string, (v: ReturnType<typeof fakeVault>) => void, string, Partial<InitSettings>?][] = [
    [
      "a wrapping token of another AppRole",
      (v) => {
        v.wrapping = {
          creationPath: "auth/approle/role/admin/secret-id",
          creationTime: NOW,
          creationTtlSeconds: 60,
        };
      },
      "creation-path-mismatch",
    ],
    [
      "a wrapping token of another endpoint",
      (v) => {
        v.wrapping = { creationPath: "sys/wrapping/wrap", creationTime: NOW, creationTtlSeconds: 60 };
      },
      "creation-path-mismatch",
    ],
    [
      "an expired wrapping token",
      (v) => {
        v.wrapping = {
          creationPath: "auth/approle/role/app/secret-id",
          creationTime: new Date(NOW.getTime() - 61_000),
          creationTtlSeconds: 60,
        };
      },
      "wrapping-token-expired",
    ],
    [
      "a token Vault does not know",
      (v) => {
        v.wrapping = vaultRefusal("wrapping token is not valid");
      },
      "wrapping-token-invalid",
    ],
    [
      "Vault unreachable at lookup",
      (v) => {
        v.wrapping = vaultDown("connect ECONNREFUSED");
      },
      "vault-unavailable",
    ],
    [
      "unwrap refused",
      (v) => {
        v.unwrapped = vaultRefusal("permission denied");
      },
      "unwrap-failed",
    ],
    [
      "login refused",
      (v) => {
        v.login = vaultRefusal("invalid secret id");
      },
      "login-failed",
    ],
  ];
  for (const [name, arrange, reason] of cases) {
    test(name, async () => {
      const { vault, disk, ctx } = setup();
      arrange(vault);
      const outcome = await exchangePush(samplePush(), ctx);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(outcome.refusal.reason).toBe(reason as typeof outcome.refusal.reason);
        expect(outcome.refusal.error).not.toContain("hvs.wrapping-token");
      }
      expect(disk.files).toEqual([]);
      expect(vault.closed).toBe(1);
    });
  }

  test("a creation-path mismatch never unwraps (the token stays unspent)", async () => {
    const { vault, ctx } = setup();
    vault.wrapping = {
      creationPath: "auth/approle/role/other/secret-id",
      creationTime: NOW,
      creationTtlSeconds: 60,
    };
    await exchangePush(samplePush(), ctx);
    expect(vault.calls).toEqual(["lookup"]);
  });

  test("a pinned VAULT_ADDR refuses a push naming another Vault before contacting any", async () => {
    const { vault, ctx } = setup({ pinnedVaultAddr: "https://vault.test:8200/" });
    const outcome = await exchangePush(samplePush({ vaultAddr: "https://evil.test:8200" }), ctx);
    expect(outcome.ok === false && outcome.refusal.reason).toBe("vault-addr-mismatch");
    expect(vault.targets).toEqual([]);
    const same = await exchangePush(samplePush({ vaultAddr: "https://vault.test:8200" }), ctx);
    expect(same.ok).toBe(true);
  });

  test("a failed write after login is write-failed, and the new token is revoked with itself", async () => {
    const { ctx, vault, logs } = setup();
    ctx.writeFiles = () => Promise.reject(new Error("EACCES: permission denied"));
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok === false && outcome.refusal.reason).toBe("write-failed");
    expect(outcome.ok === false && outcome.refusal.error).toContain(
      "the new token (accessor token-accessor-1) was revoked",
    );
    expect(vault.calls).toEqual(["lookup", "unwrap", "login", "revoke-self"]);
    expect(vault.revoked).toEqual(["client-token-1"]);
    const line = logs.find((text) => text.includes("revoked the token"));
    expect(line).toContain('"level":"warn"');
    expect(line).toContain('"tokenAccessor":"token-accessor-1"');
    expect(logs.join("\n")).not.toContain("client-token-1");
    expect(vault.closed).toBe(1);
  });

  test("when revoking the unwritten token fails too, the refusal and an error log say it stays valid", async () => {
    const { ctx, vault, logs } = setup();
    ctx.writeFiles = () => Promise.reject(new Error("ENOSPC: no space left on device"));
    vault.revoke = vaultDown("connect ECONNREFUSED");
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok === false && outcome.refusal.reason).toBe("write-failed");
    expect(outcome.ok === false && outcome.refusal.error).toContain("failed too");
    expect(outcome.ok === false && outcome.refusal.error).toContain("stays valid until its TTL ends");
    expect(logs.some((text) => text.includes('"level":"error"') && text.includes("could not revoke"))).toBe(
      true,
    );
    expect(logs.join("\n")).not.toContain("client-token-1");
  });

  test("a failed write without a login (RETRIEVE_TOKEN=false) has no token to revoke", async () => {
    const { ctx, vault } = setup({ mode: "secret-id" });
    ctx.writeFiles = () => Promise.reject(new Error("EACCES: permission denied"));
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok === false && outcome.refusal.reason).toBe("write-failed");
    expect(vault.calls).toEqual(["lookup", "unwrap"]);
  });
});

describe("the slot", () => {
  test("a verified push that cannot claim the slot is refused with the slot's reason and spends nothing", async () => {
    const { ctx, vault, disk } = setup();
    const slot: ExchangeSlot = {
      claim: () => ({ reason: "busy", error: "another push is being exchanged" }),
      cancelled: new AbortController().signal,
    };
    const outcome = await exchangePush(samplePush(), ctx, slot);
    expect(outcome).toEqual({
      ok: false,
      refusal: { reason: "busy", error: "another push is being exchanged" },
    });
    expect(vault.calls).toEqual(["lookup"]);
    expect(disk.files).toEqual([]);
    expect(vault.closed).toBe(1);
  });

  test("the slot is claimed only after the lookup checks passed, and the lookup can be called off by it", async () => {
    const { ctx, vault } = setup();
    const cancel = new AbortController();
    let claims = 0;
    vault.wrapping = {
      creationPath: "auth/approle/role/admin/secret-id",
      creationTime: NOW,
      creationTtlSeconds: 60,
    };
    const slot: ExchangeSlot = {
      claim: () => {
        claims += 1;
        return undefined;
      },
      cancelled: cancel.signal,
    };
    await exchangePush(samplePush(), ctx, slot);
    expect(claims).toBe(0);
    expect(vault.lookupSignals).toEqual([cancel.signal]);
  });

  test("a lookup that fails without an answer is vault-unavailable and says the lookup failed", async () => {
    const { ctx, vault } = setup();
    vault.wrapping = vaultDown(
      "no answer from vault.test:8200 within the wrapping lookup's deadline (5000 ms)",
    );
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok === false && outcome.refusal).toEqual({
      reason: "vault-unavailable",
      error:
        "looking the wrapping token up failed: no answer from vault.test:8200 within the wrapping lookup's deadline (5000 ms)",
    });
  });
});

describe("which CAs verify Vault", () => {
  test("an authenticated push's CAs are used and written to ca.crt before the token", async () => {
    const { vault, disk, ctx } = setup({}, true);
    await exchangePush(samplePush({ vaultCAs: encodeVaultCAs(PEM_A) }), ctx);
    expect(vault.targets[0]).toEqual({ addr: "https://vault.test:8200", caPem: PEM_A });
    expect(disk.files.map((f) => f.path)).toEqual(["/creds/ca.crt", "/creds/vault-token"]);
    expect(disk.files[0]?.content).toBe(PEM_A);
  });

  test("an unauthenticated push's CAs are ignored: VAULT_CACERT or the system roots", async () => {
    const unpinned = setup({}, false);
    await exchangePush(samplePush({ vaultCAs: encodeVaultCAs(PEM_A) }), unpinned.ctx);
    expect(unpinned.vault.targets[0]?.caPem).toBeUndefined();
    expect(unpinned.disk.files.map((f) => f.path)).toEqual(["/creds/vault-token"]);
    const local = setup({ vaultCaPem: PEM_B }, false);
    await exchangePush(samplePush({ vaultCAs: encodeVaultCAs(PEM_A) }), local.ctx);
    expect(local.vault.targets[0]?.caPem).toBe(PEM_B);
  });

  test("VAULT_CACERT and an authenticated push's CAs are trusted together", async () => {
    const { vault, ctx } = setup({ vaultCaPem: PEM_B }, true);
    await exchangePush(samplePush({ vaultCAs: encodeVaultCAs(PEM_A) }), ctx);
    expect(vault.targets[0]?.caPem).toBe(PEM_B + PEM_A);
  });
});
