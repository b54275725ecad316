// exchangePush(): the checks before unwrapping, the three output modes and the choice of Vault CAs, with a fake Vault.
import { describe, expect, test } from "bun:test";
import { type ExchangeContext, exchangePush, type InitSettings } from "../../lib/init/index.ts";
import { encodeVaultCAs } from "../../lib/push/index.ts";
import { baseSettings, fakeVault, memoryFiles, NOW, samplePush, vaultDown, vaultRefusal } from "./fakes.ts";

const PEM_A = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
const PEM_B = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";

function setup(settings: Partial<InitSettings> = {}, pushAuthenticated = true) {
  const vault = fakeVault();
  const disk = memoryFiles();
  const ctx: ExchangeContext = {
    settings: baseSettings(settings),
    pushAuthenticated,
    openVault: vault.open,
    writeFiles: disk.write,
    now: () => NOW,
  };
  return { vault, disk, ctx };
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

  test("a failed write is reported as write-failed", async () => {
    const { ctx } = setup();
    ctx.writeFiles = () => Promise.reject(new Error("EACCES: permission denied"));
    const outcome = await exchangePush(samplePush(), ctx);
    expect(outcome.ok === false && outcome.refusal.reason).toBe("write-failed");
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
