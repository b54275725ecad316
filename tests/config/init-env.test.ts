// The init container's environment: defaults, each variable's failure, the RETRIEVE_TOKEN/UNWRAP_SECRET rule, and
// secure by default (no CONTROLLER_CA_CERT without INSECURE_UNAUTHENTICATED_PUSH=true; VAULT_ADDR https only).
import { describe, expect, test } from "bun:test";
import { type ConfigError, formatConfigError, loadInitConfig } from "../../lib/config/index.ts";
import { configErrorOf } from "./support.ts";

function problemsOf(env: Record<string, string | undefined>): ConfigError {
  return configErrorOf(() => loadInitConfig(env));
}

const ROLE_ID = "6f8a3e2c-role-id-is-a-secret-1b2c";
const CA = "/etc/kv/controller-ca.crt";
/** The smallest valid environment. */
const BASE = { VAULT_ROLE_ID: ROLE_ID, CONTROLLER_CA_CERT: CA };

describe("loadInitConfig", () => {
  test("defaults: the original's token path, 5m timeout, all interfaces on 50000, authenticated pushes", () => {
    expect(loadInitConfig(BASE)).toEqual({
      roleId: ROLE_ID,
      tokenPath: "/var/run/secrets/boostport.com/vault-token",
      credentialsDir: "/var/run/secrets/boostport.com",
      retrieveToken: true,
      unwrapSecret: true,
      timeoutMs: 300_000,
      logLevel: "info",
      listen: { hostname: "::", port: 50000 },
      controllerCaCertPath: CA,
      insecureUnauthenticatedPush: false,
      mode: "init",
      readiness: { hostname: "::", port: 50001 },
      warnings: [],
    });
  });

  test("every variable set", () => {
    const config = loadInitConfig({
      VAULT_ROLE_ID: ROLE_ID,
      TOKEN_PATH: "/creds/token",
      CREDENTIALS_PATH: "/creds/other/",
      RETRIEVE_TOKEN: "false",
      UNWRAP_SECRET: "FALSE",
      TIMEOUT: "90",
      LOG_LEVEL: "warn",
      VAULT_ADDR: "https://vault:8200",
      VAULT_CACERT: "/etc/vault/ca.crt",
      VAULT_ROLE_NAME: "sample-app",
      LISTEN_ADDRESS: "127.1.0.5:50000",
      POD_IP: "127.1.0.5",
      CONTROLLER_CA_CERT: "/etc/kv/controller-ca.crt",
    });
    expect(config).toEqual({
      roleId: ROLE_ID,
      tokenPath: "/creds/token",
      credentialsDir: "/creds/other",
      retrieveToken: false,
      unwrapSecret: false,
      timeoutMs: 90_000,
      logLevel: "warn",
      vaultAddr: "https://vault:8200",
      vaultCaCertPath: "/etc/vault/ca.crt",
      expectedRole: "sample-app",
      listen: { hostname: "127.1.0.5", port: 50000 },
      podIp: "127.1.0.5",
      controllerCaCertPath: "/etc/kv/controller-ca.crt",
      insecureUnauthenticatedPush: false,
      mode: "init",
      readiness: { hostname: "::", port: 50001 },
      warnings: [],
    });
  });

  test("MODE=sidecar with its readiness address; MODE is case-insensitive", () => {
    const config = loadInitConfig({ ...BASE, MODE: "Sidecar", READINESS_ADDRESS: "127.1.0.5:50001" });
    expect(config.mode).toBe("sidecar");
    expect(config.readiness).toEqual({ hostname: "127.1.0.5", port: 50001 });
    expect(config.warnings).toEqual([]);
  });

  test("an unknown MODE names MODE, says what it got and lists both modes", () => {
    const error = problemsOf({ ...BASE, MODE: "daemon" });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.variable).toBe("MODE");
    expect(error.problems[0]?.problem).toContain('"daemon" is not a mode');
    expect(error.problems[0]?.fix).toContain('"init"');
    expect(error.problems[0]?.fix).toContain('"sidecar"');
  });

  test("MODE=sidecar needs a token to renew: RETRIEVE_TOKEN=false is refused", () => {
    const error = problemsOf({ ...BASE, MODE: "sidecar", RETRIEVE_TOKEN: "false", UNWRAP_SECRET: "false" });
    expect(error.problems.map((p) => p.variable)).toEqual(["MODE"]);
    expect(error.problems[0]?.fix).toContain("RETRIEVE_TOKEN=true");
  });

  test("READINESS_ADDRESS must be an address and not the push port", () => {
    expect(problemsOf({ ...BASE, MODE: "sidecar", READINESS_ADDRESS: "nowhere" }).problems[0]?.variable).toBe(
      "READINESS_ADDRESS",
    );
    const clash = problemsOf({ ...BASE, MODE: "sidecar", READINESS_ADDRESS: ":50000" });
    expect(clash.problems[0]?.variable).toBe("READINESS_ADDRESS");
    expect(clash.problems[0]?.problem).toContain("50000");
    // init mode serves no readiness endpoint: the setting is only warned about.
    expect(loadInitConfig({ ...BASE, READINESS_ADDRESS: ":50001" }).warnings[0]).toContain("MODE=init");
  });

  test("CREDENTIALS_PATH defaults to the token's directory", () => {
    expect(loadInitConfig({ ...BASE, TOKEN_PATH: "/a/b/token" }).credentialsDir).toBe("/a/b");
  });

  test("UNWRAP_SECRET=false needs RETRIEVE_TOKEN=false", () => {
    const error = problemsOf({ ...BASE, UNWRAP_SECRET: "no" });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.variable).toBe("UNWRAP_SECRET");
    expect(error.problems[0]?.fix).toContain("RETRIEVE_TOKEN=false");
  });

  test("VAULT_ADDR must be https://, even on loopback: the init sends the role_id and secret_id there", () => {
    for (const addr of ["http://vault.example:8200", "http://127.0.0.1:8200"]) {
      const found = problemsOf({ ...BASE, VAULT_ADDR: addr }).problems;
      expect(found.map((p) => p.variable)).toEqual(["VAULT_ADDR"]);
      expect(found[0]?.problem).toContain("plain http");
      expect(found[0]?.fix).toContain("https://");
    }
  });

  const failures: [string, Record<string, string>, RegExp][] = [
    ["VAULT_ROLE_ID", { VAULT_ROLE_ID: " " }, /not set.*role_id/],
    ["VAULT_ROLE_ID", { VAULT_ROLE_ID: `${ROLE_ID} ${ROLE_ID}` }, /whitespace/],
    ["TOKEN_PATH", { TOKEN_PATH: "/creds/" }, /directory/],
    ["RETRIEVE_TOKEN", { RETRIEVE_TOKEN: "nope" }, /not a boolean/],
    ["UNWRAP_SECRET", { UNWRAP_SECRET: "y" }, /not a boolean/],
    ["TIMEOUT", { TIMEOUT: "soon" }, /not a duration/],
    ["TIMEOUT", { TIMEOUT: "0" }, /shorter than the minimum/],
    ["LOG_LEVEL", { LOG_LEVEL: "trace" }, /not a log level/],
    ["VAULT_ADDR", { VAULT_ADDR: "https://vault:8200/ui" }, /path/],
    ["VAULT_CACERT", { VAULT_CACERT: "/etc/vault/" }, /directory/],
    ["VAULT_ROLE_NAME", { VAULT_ROLE_NAME: "a/b" }, /not a valid AppRole name/],
    ["VAULT_ROLE_NAME", { VAULT_ROLE_NAME: ".." }, /path step/],
    ["LISTEN_ADDRESS", { LISTEN_ADDRESS: "50000" }, /host:port/],
    ["POD_IP", { POD_IP: "pod" }, /not an IPv4 or IPv6/],
    ["CONTROLLER_CA_CERT", { CONTROLLER_CA_CERT: "/etc/kv/" }, /directory/],
  ];
  for (const [variable, env, expected] of failures)
    test(`${variable}: ${JSON.stringify(env).slice(0, 60)}`, () => {
      const error = problemsOf({ ...BASE, ...env });
      const found = error.problems.filter((p) => p.variable === variable);
      expect(found).toHaveLength(1);
      expect(`${found[0]?.problem} ${found[0]?.fix}`).toMatch(expected);
    });

  test("all problems at once; the role_id is never echoed", () => {
    const error = problemsOf({
      VAULT_ROLE_ID: `${ROLE_ID}\n${ROLE_ID}x`,
      TIMEOUT: "soon",
      LOG_LEVEL: "x",
      POD_IP: "y",
    });
    expect(error.problems.map((p) => p.variable)).toEqual([
      "VAULT_ROLE_ID",
      "TIMEOUT",
      "LOG_LEVEL",
      "POD_IP",
      "CONTROLLER_CA_CERT",
    ]);
    expect(formatConfigError(error)).not.toContain(ROLE_ID);
    expect(formatConfigError(error)).toContain("invalid init container configuration (5 problems)");
  });
});

describe("the push is authenticated unless the operator opts out", () => {
  test("without CONTROLLER_CA_CERT: a problem naming it, why, and both ways out", () => {
    const found = problemsOf({ VAULT_ROLE_ID: ROLE_ID }).problems;
    expect(found).toHaveLength(1);
    expect(found[0]?.variable).toBe("CONTROLLER_CA_CERT");
    expect(found[0]?.problem).toMatch(/^is not set, so pushes would be unauthenticated/);
    expect(found[0]?.fix).toContain("set CONTROLLER_CA_CERT to the PEM file");
    expect(found[0]?.fix).toContain("INSECURE_UNAUTHENTICATED_PUSH=true");
  });

  test("INSECURE_UNAUTHENTICATED_PUSH=true allows it, and says so in the config", () => {
    const config = loadInitConfig({ VAULT_ROLE_ID: ROLE_ID, INSECURE_UNAUTHENTICATED_PUSH: "true" });
    expect(config.insecureUnauthenticatedPush).toBe(true);
    expect(config.controllerCaCertPath).toBeUndefined();
  });

  test("INSECURE_UNAUTHENTICATED_PUSH=false (the default) does not", () => {
    const found = problemsOf({ VAULT_ROLE_ID: ROLE_ID, INSECURE_UNAUTHENTICATED_PUSH: "false" }).problems;
    expect(found.map((p) => p.variable)).toEqual(["CONTROLLER_CA_CERT"]);
  });

  test("an unreadable INSECURE_UNAUTHENTICATED_PUSH is reported, and does not count as true", () => {
    const found = problemsOf({ VAULT_ROLE_ID: ROLE_ID, INSECURE_UNAUTHENTICATED_PUSH: "sure" }).problems;
    expect(found.map((p) => p.variable)).toEqual(["INSECURE_UNAUTHENTICATED_PUSH", "CONTROLLER_CA_CERT"]);
  });

  test("with CONTROLLER_CA_CERT set as well, the CA wins and a warning says the flag is ignored", () => {
    const config = loadInitConfig({ ...BASE, INSECURE_UNAUTHENTICATED_PUSH: "true" });
    expect(config.insecureUnauthenticatedPush).toBe(false);
    expect(config.controllerCaCertPath).toBe(CA);
    expect(config.warnings.join()).toContain("INSECURE_UNAUTHENTICATED_PUSH=true is ignored");
  });

  test("an invalid CONTROLLER_CA_CERT is reported once, not also as missing", () => {
    const found = problemsOf({ VAULT_ROLE_ID: ROLE_ID, CONTROLLER_CA_CERT: "/etc/kv/" }).problems;
    expect(found.map((p) => p.variable)).toEqual(["CONTROLLER_CA_CERT"]);
    expect(found[0]?.problem).toContain("directory");
  });
});
