// Shared pieces of the init end-to-end tests: a provisioned Vault stand-in, a controller identity, minting wrapped
// secret_ids as the controller would, pushing them over TLS, and starting the compiled init as a pod would.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeVaultCAs, initCertificateCheck, type PushRequest, pushUrl } from "../../lib/push/index.ts";
import { createHttpClient, type HttpClientOptions } from "../../lib/runtime/index.ts";
import { createCertificateAuthority, issueLeaf, type KeyPairPem } from "../../lib/tls/index.ts";
import { ApiCaller } from "../../sim/sandbox/provision.ts";
import { startVaultSim } from "../../sim/vault/index.ts";
import { compiledBinary } from "../support/binaries.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";

const HOUR = 3_600_000;
export const ROLE = "web";
export const OTHER_ROLE = "other";

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
}

export interface Harness {
  dir: string;
  vaultAddr: string;
  vaultCaPem: string;
  vaultCaPath: string;
  roleId: string;
  root: ApiCaller;
  /** Stops or restarts the Vault stand-in's listener, keeping its state. */
  setVaultOnline(online: boolean): Promise<void>;
  controller: KeyPairPem;
  stranger: KeyPairPem;
  controllerCaPath: string;
  binary: string;
  /** Every wrapping token minted so far, to check none reaches an output. */
  minted: string[];
  /** Every token id Vault created (wrapping and login tokens), as it created them: for leak and revocation checks. */
  issuedTokens: string[];
  /** Successful AppRole logins of `role` so far. */
  logins(role?: string): number;
  mint(role?: string, options?: { cidrList?: string[]; wrapTtl?: string }): Promise<WrapInfo>;
  /** One call to the Vault stand-in over HTTPS (only the token `init` sends), leaving from `localAddress`. */
  vault(path: string, init?: RequestInit, localAddress?: string): Promise<Response>;
  /** Vault still knows this wrapping token: it was neither unwrapped nor expired. */
  wrappingTokenAlive(token: string): Promise<boolean>;
  pushRequest(wrap: WrapInfo, overrides?: Partial<PushRequest>): PushRequest;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

export async function startHarness(name: string): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), `init-${name}-`));
  const vault = await startVaultSim({ hostname: "127.0.0.1", port: 0, dir: join(dir, "vault") });
  const root = new ApiCaller(`${vault.addr}/v1/`, vault.caPem, { "X-Vault-Token": vault.rootToken });
  await root.call("POST", "sys/auth/approle", { type: "approle" });
  for (const role of [ROLE, OTHER_ROLE]) {
    await root.call("POST", `auth/approle/role/${role}`, {
      token_policies: ["default"],
      token_ttl: "1h",
      secret_id_num_uses: 1,
      secret_id_ttl: "10m",
    });
  }
  const roleIdAnswer = await root.call("GET", `auth/approle/role/${ROLE}/role-id`);
  const roleId = String((roleIdAnswer.data as Json).role_id);
  const controllerCa = await createCertificateAuthority("kubernetes-vault controller CA", HOUR);
  const strangerCa = await createCertificateAuthority("someone else's CA", HOUR);
  const controller = await issueLeaf(controllerCa, {
    commonName: "controller",
    ttlMs: HOUR,
    usages: ["client"],
  });
  const stranger = await issueLeaf(strangerCa, { commonName: "controller", ttlMs: HOUR, usages: ["client"] });
  const controllerCaPath = join(dir, "controller-ca.crt");
  writeFileSync(controllerCaPath, controllerCa.certPem);
  const binary = compiledBinary("init");
  const minted: string[] = [];
  const issuedTokens: string[] = [];
  const callVault = async (path: string, init: RequestInit = {}, localAddress?: string) => {
    const client = createHttpClient({
      trust: { kind: "ca", caPem: vault.caPem },
      keepAlive: false,
      ...(localAddress ? { localAddress } : {}),
    });
    try {
      return await client.fetch(`${vault.addr}/v1/${path}`, init);
    } finally {
      client.close();
    }
  };
  vault.stats.onSecretIssued((kind, value) => {
    if (kind === "token") issuedTokens.push(value);
  });
  return {
    minted,
    issuedTokens,
    logins: (role = ROLE) => vault.stats.logins(role),
    dir,
    vaultAddr: vault.addr,
    vaultCaPem: vault.caPem,
    vaultCaPath: vault.caCertPath,
    roleId,
    root,
    setVaultOnline: (online) => vault.setOnline(online),
    controller,
    stranger,
    controllerCaPath,
    binary,
    async mint(role = ROLE, options = {}) {
      const response = await root.fetch(`${vault.addr}/v1/auth/approle/role/${role}/secret-id`, {
        method: "PUT",
        headers: {
          "X-Vault-Token": vault.rootToken,
          "X-Vault-Wrap-TTL": options.wrapTtl ?? "60s",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          cidr_list: options.cidrList ?? [],
          metadata: JSON.stringify({ pod: "test" }),
        }),
      });
      if (!response.ok)
        throw new Error(`minting a secret_id failed: ${response.status} ${await response.text()}`);
      const wrap = ((await response.json()) as { wrap_info: WrapInfo }).wrap_info;
      minted.push(wrap.token);
      return wrap;
    },
    vault: callVault,
    async wrappingTokenAlive(token) {
      const body = JSON.stringify({ token });
      return (await callVault("sys/wrapping/lookup", { method: "POST", body })).status === 200;
    },
    pushRequest(wrap, overrides = {}) {
      return {
        token: wrap.token,
        creationTime: wrap.creation_time,
        ttl: wrap.ttl,
        vaultAddr: vault.addr,
        vaultCAs: encodeVaultCAs(vault.caPem),
        ...overrides,
      };
    },
    stop: () => vault.stop(),
  };
}

export async function push(
  podIp: string,
  body: PushRequest | string,
  identity: KeyPairPem | undefined,
  options: { path?: string; method?: string; contentType?: string } = {},
): Promise<Response> {
  const clientOptions: HttpClientOptions = {
    trust: { kind: "peer-check", check: initCertificateCheck(podIp) },
    keepAlive: false,
    timeoutMs: 30_000,
    ...(identity ? { clientCertPem: identity.certPem, clientKeyPem: identity.keyPem } : {}),
  };
  const client = createHttpClient(clientOptions);
  try {
    const url = new URL(options.path ?? "/", pushUrl(podIp));
    return await client.fetch(url, {
      method: options.method ?? "POST",
      headers: { "content-type": options.contentType ?? "application/json" },
      ...(options.method === "GET" ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  } finally {
    client.close();
  }
}

export interface InitPod {
  podIp: string;
  credentialsDir: string;
  process: TestProcess;
}

export async function startInit(
  h: Harness,
  podIp: string,
  env: Record<string, string | undefined> = {},
  waitForListening = true,
): Promise<InitPod> {
  const credentialsDir = mkdtempSync(join(h.dir, `pod-${podIp}-`));
  const process_ = startProcess(h.binary, [], {
    logPath: join(h.dir, `init-${podIp}-${Date.now()}.log`),
    env: {
      PATH: process.env.PATH,
      VAULT_ROLE_ID: h.roleId,
      VAULT_ROLE_NAME: ROLE,
      POD_IP: podIp,
      LISTEN_ADDRESS: `${podIp}:50000`,
      TOKEN_PATH: join(credentialsDir, "vault-token"),
      CONTROLLER_CA_CERT: h.controllerCaPath,
      VAULT_ADDR: h.vaultAddr,
      TIMEOUT: "2m",
      ...env,
    },
  });
  if (waitForListening) {
    try {
      await process_.waitForOutput("waiting for the controller's push");
    } catch (error) {
      await process_.stop();
      throw error;
    }
  }
  return { podIp, credentialsDir, process: process_ };
}

/**
 * The whole output of an init that has exited. A child's "exit" can come before its pipes are drained into the log
 * file, so wait until the line it prints last (`lastText`) is there rather than reading once.
 */
export async function outputAfterExit(pod: InitPod, lastText: string): Promise<string> {
  await pod.process.exited();
  return pod.process.waitForOutput(lastText);
}
