// The controller's environment: every variable's happy and failure paths, all problems at once, secrets never quoted.
import { describe, expect, test } from "bun:test";
import {
  CONFIG_EXIT_CODE,
  type ConfigError,
  type ControllerConfig,
  formatConfigError,
  loadControllerConfig,
  namespaceWatched,
} from "../../lib/config/index.ts";
import { configErrorOf } from "./support.ts";

const TOKEN = "hvs.CAESIJ-secret-token-value-do-not-print";
const CLUSTER_KEY = "c2VjcmV0LWNsdXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctZW5vdWdo";

const minimal = {
  VAULT_TOKEN: TOKEN,
  VAULT_ADDR: "https://vault.vault.svc:8200",
  KUBERNETES_NAMESPACE: "kubernetes-vault",
  KUBERNETES_SERVICE: "kubernetes-vault",
  POD_IP: "10.1.2.3",
  POD_NAME: "kubernetes-vault-0",
  CLUSTER_KEY,
  ALLOWED_ROLES: "default: sample-app",
};

function load(overrides: Record<string, string | undefined>): ControllerConfig {
  return loadControllerConfig({ ...minimal, ...overrides });
}

function problemsOf(overrides: Record<string, string | undefined>): ConfigError {
  return configErrorOf(() => load(overrides));
}

function problemFor(overrides: Record<string, string | undefined>, variable: string): string {
  const error = problemsOf(overrides);
  const found = error.problems.filter((p) => p.variable === variable);
  expect(found.length).toBeGreaterThan(0);
  return found.map((p) => `${p.problem} | fix: ${p.fix}`).join("\n");
}

describe("defaults", () => {
  test("the minimal environment gives every documented default", () => {
    const config = load({});
    expect(config.raftDir).toBe("/var/lib/kubernetes-vault/");
    expect(config.vault).toEqual({ addr: "https://vault.vault.svc:8200", token: TOKEN });
    expect(config.kubernetes).toEqual({
      namespace: "kubernetes-vault",
      service: "kubernetes-vault",
      watchNamespaces: [],
    });
    expect(config.pki).toEqual({ clientCaMounts: [] });
    expect(config.wrapTtlSeconds).toBe(60);
    expect(config.secretIdTtlSeconds).toBe(120);
    expect(config.cidrBinding).toBe(true);
    expect(config.revokeOnDelete).toBe(true);
    expect(config.metricsTls).toBe(false);
    expect(config.metricsListen).toEqual({ hostname: "0.0.0.0", port: 8080 });
    expect(config.healthListen).toEqual({ hostname: "0.0.0.0", port: 8081 });
    expect([config.raftPort, config.gossipPort, config.initPort]).toEqual([45679, 45678, 50000]);
    expect(config.pushConcurrency).toBe(16);
    expect(config.sidecarReissueMarginMs).toBe(30_000);
    expect(config.logLevel).toBe("info");
    expect(config.clusterSecret).toBe(CLUSTER_KEY);
    expect(config.warnings).toEqual([]);
    expect(config.allowList.kind).toBe("inline");
  });

  test("metrics default to 0.0.0.0:8443 when metrics TLS is on", () => {
    const config = load({ METRICS_TLS: "true", VAULT_CA_BACKEND: "pki", VAULT_CA_ROLE: "kubernetes-vault" });
    expect(config.metricsListen).toEqual({ hostname: "0.0.0.0", port: 8443 });
    expect(config.pki).toEqual({ backend: "pki", role: "kubernetes-vault", clientCaMounts: [] });
  });

  test("SECRET_ID_TTL defaults to WRAP_TTL + 60s", () => {
    expect(load({ WRAP_TTL: "2m" }).secretIdTtlSeconds).toBe(180);
    expect(load({ WRAP_TTL: "30" }).wrapTtlSeconds).toBe(30);
  });
});

describe("every variable, happy path", () => {
  test("all set", () => {
    const config = load({
      RAFT_DIR: "/data/raft/",
      VAULT_CACERT: "/etc/vault/ca.crt",
      VAULT_CLIENT_CERT: "/etc/vault/tls.crt",
      VAULT_CLIENT_KEY: "/etc/vault/tls.key",
      VAULT_CA_BACKEND: "/pki/intermediate/",
      VAULT_CA_ROLE: "kv.controller",
      VAULT_CLIENT_CAS: "pki, pki-ops ,",
      WRAP_TTL: "90s",
      SECRET_ID_TTL: "1h30m",
      SECRET_ID_CIDR_BINDING: "No",
      REVOKE_ON_DELETE: "0",
      WATCH_NAMESPACES: "default, team-*",
      METRICS_TLS: "YES",
      METRICS_LISTEN: "[::]:9443",
      HEALTH_LISTEN: ":9081",
      RAFT_PORT: "1000",
      GOSSIP_PORT: "1001",
      INIT_PORT: "1002",
      POD_IP: "fd00::12",
      KUBECONFIG: "/home/dev/.kube/config",
      PUSH_CONCURRENCY: "64",
      SIDECAR_REISSUE_MARGIN: "1m30s",
      LOG_LEVEL: "DEBUG",
    });
    expect(config.raftDir).toBe("/data/raft");
    expect(config.vault).toEqual({
      addr: "https://vault.vault.svc:8200",
      token: TOKEN,
      caCertPath: "/etc/vault/ca.crt",
      clientCertPath: "/etc/vault/tls.crt",
      clientKeyPath: "/etc/vault/tls.key",
    });
    expect(config.pki).toEqual({
      backend: "pki/intermediate",
      role: "kv.controller",
      clientCaMounts: ["pki", "pki-ops"],
    });
    expect([config.wrapTtlSeconds, config.secretIdTtlSeconds]).toEqual([90, 5400]);
    expect([config.cidrBinding, config.revokeOnDelete, config.metricsTls]).toEqual([false, false, true]);
    expect(config.kubernetes.watchNamespaces).toEqual(["default", "team-*"]);
    expect(config.kubernetes.kubeconfigPath).toBe("/home/dev/.kube/config");
    expect(config.metricsListen).toEqual({ hostname: "::", port: 9443 });
    expect(config.healthListen).toEqual({ hostname: "::", port: 9081 });
    expect([config.raftPort, config.gossipPort, config.initPort]).toEqual([1000, 1001, 1002]);
    expect(config.podIp).toBe("fd00::12");
    expect(config.pushConcurrency).toBe(64);
    expect(config.sidecarReissueMarginMs).toBe(90_000);
    expect(config.logLevel).toBe("debug");
    expect(config.warnings.join()).toContain("SECRET_ID_CIDR_BINDING=false");
  });

  test("ALLOWED_ROLES_FILE instead of ALLOWED_ROLES", () => {
    const config = load({ ALLOWED_ROLES: undefined, ALLOWED_ROLES_FILE: "/etc/kv/allowed" });
    expect(config.allowList).toEqual({ kind: "file", path: "/etc/kv/allowed" });
  });

  test("blank values count as unset (Kubernetes often renders empty strings)", () => {
    expect(load({ WRAP_TTL: "", RAFT_PORT: "  " }).wrapTtlSeconds).toBe(60);
  });

  test("plain http Vault is refused, naming VAULT_ADDR and the fix (inits refuse pushes naming one)", () => {
    for (const addr of ["http://vault:8200", "http://127.0.0.1:8200"]) {
      const text = problemFor({ VAULT_ADDR: addr }, "VAULT_ADDR");
      expect(text).toContain("plain http");
      expect(text).toContain("fix: use Vault's https:// address");
    }
  });

  test("WATCH_NAMESPACES: empty watches all; globs match", () => {
    expect(namespaceWatched([], "anything")).toBe(true);
    expect(namespaceWatched(["team-*"], "team-a")).toBe(true);
    expect(namespaceWatched(["team-*", "default"], "kube-system")).toBe(false);
  });
});

describe("every variable, failure path", () => {
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ["VAULT_TOKEN", { VAULT_TOKEN: undefined }, /not set.*token role/],
    ["VAULT_TOKEN", { VAULT_TOKEN: `${TOKEN} extra` }, /whitespace/],
    ["VAULT_ADDR", { VAULT_ADDR: undefined }, /not set/],
    ["VAULT_ADDR", { VAULT_ADDR: "https://vault:8200/v1/" }, /path/],
    ["KUBERNETES_NAMESPACE", { KUBERNETES_NAMESPACE: undefined }, /metadata\.namespace/],
    ["KUBERNETES_NAMESPACE", { KUBERNETES_NAMESPACE: "Kube_Vault" }, /DNS-1123/],
    ["KUBERNETES_SERVICE", { KUBERNETES_SERVICE: undefined }, /headless Service/],
    ["KUBERNETES_SERVICE", { KUBERNETES_SERVICE: "-svc" }, /DNS-1123/],
    ["VAULT_CA_BACKEND", { VAULT_CA_BACKEND: "pki/../sys", VAULT_CA_ROLE: "r" }, /mount path/],
    ["VAULT_CA_ROLE", { VAULT_CA_BACKEND: "pki", VAULT_CA_ROLE: "a/b" }, /PKI role/],
    ["VAULT_CA_ROLE", { VAULT_CA_BACKEND: "pki" }, /VAULT_CA_BACKEND is set but VAULT_CA_ROLE is not/],
    ["VAULT_CA_BACKEND", { VAULT_CA_ROLE: "r" }, /VAULT_CA_ROLE is set but VAULT_CA_BACKEND is not/],
    ["VAULT_CLIENT_CAS", { VAULT_CLIENT_CAS: "pki,bad mount" }, /item "bad mount"/],
    ["VAULT_CACERT", { VAULT_CACERT: "/etc/vault/" }, /directory/],
    ["VAULT_CLIENT_KEY", { VAULT_CLIENT_CERT: "/c.pem" }, /needs its key/],
    ["VAULT_CLIENT_CERT", { VAULT_CLIENT_KEY: "/k.pem" }, /needs its key/],
    ["WRAP_TTL", { WRAP_TTL: "soon" }, /not a duration.*Go duration/],
    ["WRAP_TTL", { WRAP_TTL: "500ms" }, /shorter than the minimum 1s/],
    ["SECRET_ID_TTL", { SECRET_ID_TTL: "1d" }, /unit/],
    [
      "SECRET_ID_TTL",
      { WRAP_TTL: "2m", SECRET_ID_TTL: "60s" },
      /no later than its wrapping.*longer than WRAP_TTL/,
    ],
    ["SECRET_ID_CIDR_BINDING", { SECRET_ID_CIDR_BINDING: "on" }, /"on" is not a boolean.*true or false/],
    ["REVOKE_ON_DELETE", { REVOKE_ON_DELETE: "2" }, /not a boolean/],
    ["ALLOWED_ROLES", { ALLOWED_ROLES: undefined }, /no allow-list.*deny by default/],
    ["ALLOWED_ROLES", { ALLOWED_ROLES: "default sample-app" }, /no ':'/],
    [
      "ALLOWED_ROLES_FILE",
      { ALLOWED_ROLES_FILE: "/etc/kv/allowed" },
      /both ALLOWED_ROLES and ALLOWED_ROLES_FILE/,
    ],
    ["WATCH_NAMESPACES", { WATCH_NAMESPACES: "default,Team_A" }, /namespace name or glob/],
    ["METRICS_TLS", { METRICS_TLS: "true" }, /VAULT_CA_BACKEND and VAULT_CA_ROLE/],
    ["METRICS_TLS", { METRICS_TLS: "tls" }, /not a boolean/],
    ["METRICS_LISTEN", { METRICS_LISTEN: "8080" }, /host:port/],
    ["HEALTH_LISTEN", { HEALTH_LISTEN: "0.0.0.0:8080" }, /same as METRICS_LISTEN/],
    ["RAFT_PORT", { RAFT_PORT: "0" }, /not a TCP port.*1 to 65535/],
    ["GOSSIP_PORT", { GOSSIP_PORT: "45678x" }, /not a TCP port/],
    ["INIT_PORT", { INIT_PORT: "70000" }, /not a TCP port/],
    ["POD_IP", { POD_IP: undefined }, /status\.podIP/],
    ["POD_IP", { POD_IP: "10.1.2" }, /not an IPv4 or IPv6 address/],
    ["POD_NAME", { POD_NAME: undefined }, /metadata\.name/],
    ["POD_NAME", { POD_NAME: "Pod_0" }, /DNS-1123 subdomain/],
    ["CLUSTER_KEY", { CLUSTER_KEY: undefined }, /not set.*urandom/],
    ["CLUSTER_KEY", { CLUSTER_KEY: "too-short" }, /9 bytes long; at least 32/],
    ["KUBECONFIG", { KUBECONFIG: "/root/.kube/" }, /directory/],
    ["PUSH_CONCURRENCY", { PUSH_CONCURRENCY: "0" }, /outside 1\.\.1024/],
    ["PUSH_CONCURRENCY", { PUSH_CONCURRENCY: "many" }, /not a whole number/],
    ["SIDECAR_REISSUE_MARGIN", { SIDECAR_REISSUE_MARGIN: "soon" }, /not a duration.*such as "90s"/],
    ["SIDECAR_REISSUE_MARGIN", { SIDECAR_REISSUE_MARGIN: "50ms" }, /shorter than the minimum 0\.1s/],
    ["SIDECAR_REISSUE_MARGIN", { SIDECAR_REISSUE_MARGIN: "25h" }, /longer than the maximum 86400s/],
    ["LOG_LEVEL", { LOG_LEVEL: "verbose" }, /not a log level.*debug, info, warn, error/],
    ["RAFT_DIR", { RAFT_DIR: "/data\0/raft" }, /NUL/],
  ];
  for (const [variable, overrides, expected] of cases)
    test(`${variable}: ${JSON.stringify(overrides).slice(0, 70)}`, () => {
      expect(problemFor(overrides, variable).replace(/\n/g, " ")).toMatch(expected);
    });
});

describe("reporting", () => {
  test("all problems at once, each naming its variable, with exit code 2", () => {
    const error = problemsOf({
      VAULT_TOKEN: undefined,
      VAULT_ADDR: "vault:8200",
      WRAP_TTL: "x",
      REVOKE_ON_DELETE: "maybe",
      RAFT_PORT: "-1",
      LOG_LEVEL: "loud",
      CLUSTER_KEY: "short",
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(
      [
        "CLUSTER_KEY",
        "LOG_LEVEL",
        "RAFT_PORT",
        "REVOKE_ON_DELETE",
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "WRAP_TTL",
      ].sort(),
    );
    for (const problem of error.problems) {
      expect(problem.problem.length).toBeGreaterThan(5);
      expect(problem.fix.length).toBeGreaterThan(5);
    }
    expect(CONFIG_EXIT_CODE).toBe(2);
    const text = formatConfigError(error);
    expect(text.split("\n")[0]).toBe("invalid controller configuration (7 problems):");
    expect(text).toContain("  - WRAP_TTL: ");
    expect(text).toContain("    fix: ");
    expect(error.message).toBe(text);
  });

  test("secret values are never echoed, however they are wrong", () => {
    const longSecret = "s3cr3t-".repeat(12);
    for (const overrides of [
      { VAULT_TOKEN: `${TOKEN} x`, CLUSTER_KEY: "shortsecretkey" },
      { VAULT_TOKEN: `${TOKEN}\u0001`, CLUSTER_KEY: "short secret key that is long enough!!" },
    ]) {
      const text = formatConfigError(problemsOf(overrides));
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain("shortsecretkey");
      expect(text).not.toContain("short secret key");
    }
    // A secret pasted into a non-secret variable is described by its length, not printed.
    const text = formatConfigError(problemsOf({ WRAP_TTL: longSecret }));
    expect(text).not.toContain("s3cr3t");
    expect(text).toContain("84-character value");
  });
});
