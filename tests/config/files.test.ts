// Reading the files configuration names: missing, unreadable, empty and non-PEM files give errors naming the
// variable and path; key contents never appear in an error.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadAllowList, parseAllowList, readPemFile } from "../../lib/config/index.ts";
import { createCertificateAuthority } from "../../lib/tls/index.ts";
import { configErrorOfAsync } from "./support.ts";

let dir: string;
let caPem: string;
let keyPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "config-files-"));
  const ca = await createCertificateAuthority("files test CA", 3_600_000);
  caPem = ca.certPem;
  keyPem = ca.keyPem;
  await writeFile(join(dir, "ca.crt"), caPem);
  await writeFile(join(dir, "tls.key"), keyPem);
  await writeFile(join(dir, "empty.crt"), "  \n");
  await writeFile(join(dir, "junk.crt"), "not a certificate, maybe SUPER-SECRET-CONTENT");
  await writeFile(join(dir, "locked.crt"), caPem);
  await chmod(join(dir, "locked.crt"), 0o000);
  await mkdir(join(dir, "a-directory"));
  await writeFile(join(dir, "allowed"), "default: sample-app\nteam-*/api: team-*\n");
  await writeFile(join(dir, "bad-allowed"), "default sample-app\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readPemFile", () => {
  test("reads a certificate and a key", async () => {
    expect(await readPemFile("VAULT_CACERT", join(dir, "ca.crt"))).toBe(caPem);
    expect(await readPemFile("VAULT_CLIENT_KEY", join(dir, "tls.key"), "private key")).toBe(keyPem);
  });

  const failures: [string, string, string, RegExp][] = [
    ["VAULT_CACERT", "missing.crt", "certificate", /does not exist/],
    ["CONTROLLER_CA_CERT", "empty.crt", "certificate", /is empty/],
    ["VAULT_CACERT", "junk.crt", "certificate", /holds no PEM certificate/],
    ["VAULT_CLIENT_KEY", "ca.crt", "private key", /holds no PEM private key/],
    ["VAULT_CLIENT_CERT", "tls.key", "certificate", /holds no PEM certificate/],
    ["VAULT_CACERT", "a-directory", "certificate", /is a directory/],
  ];
  for (const [variable, file, kind, expected] of failures)
    test(`${variable}=${file} as ${kind}`, async () => {
      const error = await configErrorOfAsync(
        readPemFile(variable, join(dir, file), kind as "certificate" | "private key"),
      );
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.variable).toBe(variable);
      expect(error.problems[0]?.problem).toContain(join(dir, file));
      expect(error.problems[0]?.problem).toMatch(expected);
      expect(error.message).not.toContain("SUPER-SECRET-CONTENT");
      expect(error.message).not.toContain(keyPem.split("\n")[1] ?? "-");
    });

  test("an unreadable file says permission denied (root reads anything, so as root it must simply read)", async () => {
    const asRoot = process.getuid?.() === 0;
    const outcome = await readPemFile("VAULT_CACERT", join(dir, "locked.crt")).then(
      () => "read",
      (error: unknown) => (error instanceof ConfigError ? (error.problems[0]?.problem ?? "") : "other"),
    );
    expect(asRoot ? outcome === "read" : outcome.includes("permission denied")).toBe(true);
  });
});

describe("loadAllowList", () => {
  test("inline lists pass through; files are read and parsed, naming the file in reasons", async () => {
    const inline = parseAllowList("a: b");
    expect(await loadAllowList({ kind: "inline", list: inline })).toBe(inline);
    const fromFile = await loadAllowList({ kind: "file", path: join(dir, "allowed") });
    expect(fromFile.entries).toHaveLength(2);
    expect(fromFile.source).toBe(`ALLOWED_ROLES_FILE (${join(dir, "allowed")})`);
  });

  test("a bad or missing file is a ConfigError naming ALLOWED_ROLES_FILE", async () => {
    const bad = await configErrorOfAsync(loadAllowList({ kind: "file", path: join(dir, "bad-allowed") }));
    expect(bad.problems[0]?.variable).toContain("ALLOWED_ROLES_FILE");
    expect(bad.problems[0]?.problem).toContain("line 1");
    const missing = await configErrorOfAsync(loadAllowList({ kind: "file", path: join(dir, "nope") }));
    expect(missing.problems[0]).toMatchObject({ variable: "ALLOWED_ROLES_FILE" });
    expect(missing.problems[0]?.problem).toContain("does not exist");
  });
});
