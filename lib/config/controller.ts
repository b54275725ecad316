/**
 * The controller's environment: the original's variables (RAFT_DIR, VAULT_TOKEN, VAULT_ADDR, KUBERNETES_NAMESPACE,
 * KUBERNETES_SERVICE, VAULT_CA_BACKEND, VAULT_CA_ROLE, VAULT_CLIENT_CAS) plus ours, each with its default.
 *
 * Contract: `loadControllerConfig` is pure (no files read, no clock); it throws one ConfigError listing every
 * problem, including cross-variable rules, and never quotes VAULT_TOKEN or CLUSTER_KEY. Files named here are read
 * later with files.ts, which names the variable when one is missing or not PEM.
 */
import { defaultListenAddress, httpsVaultAddress, type ListenAddress, listenAddress } from "./address.ts";
import { compileGlob } from "./allow-list/index.ts";
import {
  bool,
  type ConfigLogLevel,
  commaList,
  directoryPath,
  dns1123Label,
  dns1123Subdomain,
  duration,
  filePath,
  integer,
  ipAddress,
  logLevel,
  mountPath,
  port,
  secret,
  text,
} from "./converters.ts";
import { durationSeconds } from "./duration.ts";
import { ConfigError } from "./errors.ts";
import { accept, type Env, field, parseFields, refuse } from "./fields.ts";
import { type RaftPeer, raftPeer, raftPeerProblems } from "./raft-peers.ts";
import { type AllowListSource, allowListSource, isSet, pairProblems } from "./rules.ts";

export type { AllowListSource } from "./rules.ts";

export const CONTROLLER_DEFAULTS = {
  raftDir: "/var/lib/kubernetes-vault/",
  /** The original's wrap TTL: long enough for a push and an unwrap under load, short enough to limit exposure. */
  wrapTtl: "60s",
  /** The secret_id must outlive its wrapping: the init may unwrap at the last second and then log in. */
  secretIdTtlBeyondWrapMs: 60_000,
  metricsListenPlain: "0.0.0.0:8080",
  metricsListenTls: "0.0.0.0:8443",
  healthListen: "0.0.0.0:8081",
  raftPort: 45679,
  gossipPort: 45678,
  initPort: 50000,
  pushConcurrency: 16,
  /** Many times a mint + push + login even with Vault slow; short leases cap it at a quarter of the lease. */
  sidecarReissueMarginMs: 30_000,
} as const;

const namespaceGlob = (raw: string) =>
  /^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/.test(raw)
    ? accept(raw)
    : refuse(
        `"${raw}" is not a namespace name or glob`,
        'list namespace names or globs separated by commas, e.g. "default,team-*"',
      );

const pkiRoleName = (raw: string) =>
  /^[A-Za-z0-9._-]+$/.test(raw.trim())
    ? accept(raw.trim())
    : refuse(
        `"${raw.trim()}" is not a PKI role name`,
        "use the role's name as in `vault list <mount>/roles`",
      );

/** The controller pushes VAULT_ADDR to every init, and an init refuses a push naming an http:// Vault. */
const controllerVaultAddress = httpsVaultAddress(
  "every init container refuses a push naming an http:// Vault, so no pod could be served, and VAULT_TOKEN would cross the network unencrypted",
);

const TOKEN_FIX =
  "create a periodic token from a token role (`vault token create -role=kubernetes-vault`) and deliver it from a Secret";

const controllerShape = {
  RAFT_DIR: field(directoryPath, { default: CONTROLLER_DEFAULTS.raftDir }),
  VAULT_TOKEN: field(secret({ what: "token", fix: TOKEN_FIX }), { required: TOKEN_FIX }),
  VAULT_ADDR: field(controllerVaultAddress, {
    required: "set it to Vault's address, e.g. https://vault.vault.svc:8200",
  }),
  KUBERNETES_NAMESPACE: field(dns1123Label, {
    required: "set it from the downward API: valueFrom.fieldRef.fieldPath: metadata.namespace",
  }),
  KUBERNETES_SERVICE: field(dns1123Label, {
    required: "set it to the name of the controller's headless Service",
  }),
  VAULT_CA_BACKEND: field(mountPath),
  VAULT_CA_ROLE: field(pkiRoleName),
  VAULT_CLIENT_CAS: field(commaList(mountPath), { default: [] }),
  VAULT_CACERT: field(filePath),
  VAULT_CLIENT_CERT: field(filePath),
  VAULT_CLIENT_KEY: field(filePath),
  WRAP_TTL: field(duration({ minMs: 1_000 }), { default: 60_000 }),
  SECRET_ID_TTL: field(duration({ minMs: 1_000 })),
  SECRET_ID_CIDR_BINDING: field(bool, { default: true }),
  REVOKE_ON_DELETE: field(bool, { default: true }),
  ALLOWED_ROLES: field(text),
  ALLOWED_ROLES_FILE: field(filePath),
  WATCH_NAMESPACES: field(commaList(namespaceGlob), { default: [] }),
  METRICS_TLS: field(bool, { default: false }),
  METRICS_LISTEN: field(listenAddress),
  HEALTH_LISTEN: field(listenAddress),
  RAFT_PORT: field(port, { default: CONTROLLER_DEFAULTS.raftPort }),
  /** Static replica list (name=host:port,...); empty = a single replica unless peers are discovered. */
  RAFT_PEERS: field(commaList(raftPeer), { default: [] }),
  /** With RAFT_PEERS: start with no voters and wait to be added by the running cluster's leader. */
  RAFT_JOIN: field(bool, { default: false }),
  GOSSIP_PORT: field(port, { default: CONTROLLER_DEFAULTS.gossipPort }),
  INIT_PORT: field(port, { default: CONTROLLER_DEFAULTS.initPort }),
  POD_IP: field(ipAddress, {
    required: "set it from the downward API: valueFrom.fieldRef.fieldPath: status.podIP",
  }),
  POD_NAME: field(dns1123Subdomain, {
    required: "set it from the downward API: valueFrom.fieldRef.fieldPath: metadata.name",
  }),
  CLUSTER_KEY: field(
    secret({
      what: "cluster key",
      minBytes: 32,
      fix: "generate one with `head -c 32 /dev/urandom | base64`",
    }),
    {
      required: "generate one with `head -c 32 /dev/urandom | base64` and deliver it from a Secret",
    },
  ),
  KUBECONFIG: field(filePath),
  /** Where the service-account token and CA are mounted; only worth changing outside a pod (the sandbox). */
  SERVICE_ACCOUNT_DIR: field(directoryPath),
  PUSH_CONCURRENCY: field(integer(1, 1024), { default: CONTROLLER_DEFAULTS.pushConcurrency }),
  /** Native sidecars: look at (and if need be re-issue) a token this long before it expires; capped at 1/4 lease. */
  SIDECAR_REISSUE_MARGIN: field(duration({ minMs: 100, maxMs: 24 * 3_600_000 }), {
    default: CONTROLLER_DEFAULTS.sidecarReissueMarginMs,
  }),
  LOG_LEVEL: field(logLevel, { default: "info" as ConfigLogLevel }),
};

/** Every variable the controller reads, for documentation and manifest checks. */
export const CONTROLLER_ENV_NAMES: readonly string[] = Object.keys(controllerShape);

export interface ControllerConfig {
  raftDir: string;
  vault: {
    addr: string;
    /** Secret: never log it. */
    token: string;
    caCertPath?: string;
    clientCertPath?: string;
    clientKeyPath?: string;
  };
  kubernetes: {
    namespace: string;
    service: string;
    kubeconfigPath?: string;
    serviceAccountDir?: string;
    watchNamespaces: string[];
  };
  pki: { backend?: string; role?: string; clientCaMounts: string[] };
  wrapTtlSeconds: number;
  secretIdTtlSeconds: number;
  cidrBinding: boolean;
  revokeOnDelete: boolean;
  allowList: AllowListSource;
  metricsTls: boolean;
  metricsListen: ListenAddress;
  healthListen: ListenAddress;
  raftPort: number;
  /** RAFT_PEERS: the replicas named statically (possibly including this one). */
  raftPeers: RaftPeer[];
  /** RAFT_JOIN: this replica joins a running static cluster instead of bootstrapping one (needs RAFT_PEERS). */
  raftJoin: boolean;
  gossipPort: number;
  initPort: number;
  podIp: string;
  podName: string;
  /** CLUSTER_KEY. Secret: never log it. */
  clusterSecret: string;
  pushConcurrency: number;
  /** SIDECAR_REISSUE_MARGIN in ms. */
  sidecarReissueMarginMs: number;
  logLevel: ConfigLogLevel;
  /** Settings that work but weaken a guarantee; log them at start-up. */
  warnings: string[];
}

export function loadControllerConfig(env: Env): ControllerConfig {
  const { values, problems } = parseFields(controllerShape, env);
  problems.push(
    ...pairProblems(env, "VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY", "a client certificate needs its key"),
  );
  problems.push(
    ...pairProblems(
      env,
      "VAULT_CA_BACKEND",
      "VAULT_CA_ROLE",
      "certificates are issued by a role of a PKI mount",
    ),
  );
  if (values.METRICS_TLS === true && !(isSet(env, "VAULT_CA_BACKEND") && isSet(env, "VAULT_CA_ROLE")))
    problems.push({
      variable: "METRICS_TLS",
      problem: "metrics TLS needs a certificate, but VAULT_CA_BACKEND and VAULT_CA_ROLE are not both set",
      fix: "set VAULT_CA_BACKEND and VAULT_CA_ROLE to the PKI mount and role that issue it, or METRICS_TLS=false",
    });
  const wrapMs = values.WRAP_TTL;
  const secretIdMs =
    values.SECRET_ID_TTL ??
    (wrapMs === undefined ? undefined : wrapMs + CONTROLLER_DEFAULTS.secretIdTtlBeyondWrapMs);
  if (wrapMs !== undefined && values.SECRET_ID_TTL !== undefined && values.SECRET_ID_TTL <= wrapMs)
    problems.push({
      variable: "SECRET_ID_TTL",
      problem: `the secret_id would expire (${values.SECRET_ID_TTL / 1000}s) no later than its wrapping (WRAP_TTL ${wrapMs / 1000}s), so a pod unwrapping late could not log in`,
      fix: "make SECRET_ID_TTL longer than WRAP_TTL (the default is WRAP_TTL + 60s)",
    });
  const metricsTls = values.METRICS_TLS ?? false;
  const metricsListen =
    values.METRICS_LISTEN ??
    defaultListenAddress(
      metricsTls ? CONTROLLER_DEFAULTS.metricsListenTls : CONTROLLER_DEFAULTS.metricsListenPlain,
    );
  const healthListen = values.HEALTH_LISTEN ?? defaultListenAddress(CONTROLLER_DEFAULTS.healthListen);
  if (metricsListen.port === healthListen.port)
    problems.push({
      variable: "HEALTH_LISTEN",
      problem: `it uses port ${healthListen.port}, the same as METRICS_LISTEN`,
      fix: "give the health probes and the metrics endpoint different ports",
    });
  const allowList = allowListSource(values.ALLOWED_ROLES, values.ALLOWED_ROLES_FILE, problems);
  problems.push(...raftPeerProblems(values.RAFT_PEERS ?? []));
  if (values.RAFT_JOIN === true && (values.RAFT_PEERS ?? []).length === 0)
    problems.push({
      variable: "RAFT_JOIN",
      problem:
        "it is true but RAFT_PEERS is empty; discovered replicas (gossip) decide how to join by themselves",
      fix: "remove RAFT_JOIN, or set RAFT_PEERS to every replica (this one and the running cluster's members)",
    });
  if (problems.length > 0) throw new ConfigError(problems, "controller configuration");
  // Every required field parsed, or a problem would have been thrown above.
  const ok = values as Required<typeof values>;
  return {
    raftDir: ok.RAFT_DIR,
    vault: {
      addr: ok.VAULT_ADDR.addr,
      token: ok.VAULT_TOKEN,
      ...(values.VAULT_CACERT !== undefined ? { caCertPath: values.VAULT_CACERT } : {}),
      ...(values.VAULT_CLIENT_CERT !== undefined ? { clientCertPath: values.VAULT_CLIENT_CERT } : {}),
      ...(values.VAULT_CLIENT_KEY !== undefined ? { clientKeyPath: values.VAULT_CLIENT_KEY } : {}),
    },
    kubernetes: {
      namespace: ok.KUBERNETES_NAMESPACE,
      service: ok.KUBERNETES_SERVICE,
      ...(values.KUBECONFIG !== undefined ? { kubeconfigPath: values.KUBECONFIG } : {}),
      ...(values.SERVICE_ACCOUNT_DIR !== undefined ? { serviceAccountDir: values.SERVICE_ACCOUNT_DIR } : {}),
      watchNamespaces: ok.WATCH_NAMESPACES,
    },
    pki: {
      ...(values.VAULT_CA_BACKEND !== undefined ? { backend: values.VAULT_CA_BACKEND } : {}),
      ...(values.VAULT_CA_ROLE !== undefined ? { role: values.VAULT_CA_ROLE } : {}),
      clientCaMounts: ok.VAULT_CLIENT_CAS,
    },
    wrapTtlSeconds: durationSeconds(ok.WRAP_TTL),
    secretIdTtlSeconds: durationSeconds(secretIdMs ?? 0),
    cidrBinding: ok.SECRET_ID_CIDR_BINDING,
    revokeOnDelete: ok.REVOKE_ON_DELETE,
    allowList: allowList as AllowListSource,
    metricsTls,
    metricsListen,
    healthListen,
    raftPort: ok.RAFT_PORT,
    raftPeers: ok.RAFT_PEERS,
    raftJoin: ok.RAFT_JOIN,
    gossipPort: ok.GOSSIP_PORT,
    initPort: ok.INIT_PORT,
    podIp: ok.POD_IP,
    podName: ok.POD_NAME,
    clusterSecret: ok.CLUSTER_KEY,
    pushConcurrency: ok.PUSH_CONCURRENCY,
    sidecarReissueMarginMs: ok.SIDECAR_REISSUE_MARGIN,
    logLevel: ok.LOG_LEVEL,
    warnings: [
      ...ok.VAULT_ADDR.warnings,
      ...(ok.SECRET_ID_CIDR_BINDING
        ? []
        : [
            "SECRET_ID_CIDR_BINDING=false: secret_ids are not bound to the pod IP, so a stolen one works from anywhere",
          ]),
    ],
  };
}

/** WATCH_NAMESPACES: an empty list watches every namespace. */
export function namespaceWatched(patterns: string[], namespace: string): boolean {
  return patterns.length === 0 || patterns.some((pattern) => compileGlob(pattern).matches(namespace));
}
