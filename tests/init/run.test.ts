// runInit() in-process over real TLS on loopback (with a fake Vault): the handshake refusals, the certificate it
// presents, the answer reaching the caller before it returns, files on disk and the timeout explanation.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConfigError, isConfigError } from "../../lib/config/index.ts";
import { type OpenVault, runInit } from "../../lib/init/index.ts";
import { initCertificateCheck, pushUrl } from "../../lib/push/index.ts";
import {
  createHttpClient,
  HttpClientError,
  type HttpClientOptions,
  type RunningServer,
} from "../../lib/runtime/index.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueLeaf,
  type KeyPairPem,
} from "../../lib/tls/index.ts";
import { waitFor } from "../support/wait.ts";
import { baseSettings, fakeVault, quietLogger, samplePush } from "./fakes.ts";

// Real TLS servers and processes on a busy CI machine: wait generously (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(60_000);

const HOUR = 3_600_000;
let controllerCa: CertificateAuthority;
let controllerLeaf: KeyPairPem;
let strangerLeaf: KeyPairPem;
let dir: string;

beforeAll(async () => {
  controllerCa = await createCertificateAuthority("controller CA", HOUR);
  const stranger = await createCertificateAuthority("stranger CA", HOUR);
  controllerLeaf = await issueLeaf(controllerCa, {
    commonName: "controller",
    ttlMs: HOUR,
    usages: ["client"],
  });
  strangerLeaf = await issueLeaf(stranger, { commonName: "controller", ttlMs: HOUR, usages: ["client"] });
  dir = mkdtempSync(join(tmpdir(), "init-run-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pushOnce(
  podIp: string,
  port: number,
  client: HttpClientOptions,
  body = JSON.stringify(samplePush()),
) {
  const http = createHttpClient({
    ...client,
    trust: { kind: "peer-check", check: initCertificateCheck(podIp) },
    keepAlive: false,
  });
  return http
    .fetch(pushUrl(podIp, port), { method: "POST", body, headers: { "content-type": "application/json" } })
    .finally(() => http.close());
}

/** The fake's wrapping token, created now (runInit checks expiry against the real clock). */
function freshFakeVault() {
  const vault = fakeVault();
  vault.wrapping = {
    creationPath: "auth/approle/role/app/secret-id",
    creationTime: new Date(),
    creationTtlSeconds: 60,
  };
  return vault;
}

function startRun(
  podIp: string,
  overrides: Parameters<typeof baseSettings>[0] = {},
  wrapVault: (open: OpenVault) => OpenVault = (open) => open,
  engine: "auto" | "node" = "auto",
) {
  const credentialsDir = mkdtempSync(join(dir, "creds-"));
  let listening: (server: RunningServer) => void = () => {};
  const server = new Promise<RunningServer>((resolve) => {
    listening = resolve;
  });
  const texts: string[] = [];
  const vault = freshFakeVault();
  const exit = runInit(
    baseSettings({
      podIp,
      listen: { hostname: podIp, port: 0 },
      credentialsDir,
      tokenPath: join(credentialsDir, "vault-token"),
      controllerCaPem: controllerCa.certPem,
      ...overrides,
    }),
    {
      openVault: wrapVault(vault.open),
      log: quietLogger(),
      writeText: (t) => texts.push(t),
      onListening: listening,
      engine,
    },
  );
  return { exit, server, texts, credentialsDir, vault };
}

describe("runInit over TLS", () => {
  for (const [engine, podIp] of [
    ["auto", "127.1.7.1"],
    ["node", "127.1.7.7"],
  ] as const) {
    test(`(${engine} engine) refuses pushes without a client certificate or with a stranger's, then accepts the controller's`, async () => {
      const run = startRun(podIp, {}, (open) => open, engine);
      const { port } = await run.server;
      await expect(pushOnce(podIp, port, {})).rejects.toBeInstanceOf(HttpClientError);
      await expect(
        pushOnce(podIp, port, { clientCertPem: strangerLeaf.certPem, clientKeyPem: strangerLeaf.keyPem }),
      ).rejects.toBeInstanceOf(HttpClientError);
      expect(readdirSync(run.credentialsDir)).toEqual([]);
      const response = await pushOnce(podIp, port, {
        clientCertPem: controllerLeaf.certPem,
        clientKeyPem: controllerLeaf.keyPem,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        tokenAccessor: "token-accessor-1",
        secretIdAccessor: "sid-accessor-1",
      });
      expect(await run.exit).toBe(0);
      expect(readdirSync(run.credentialsDir)).toEqual(["vault-token"]);
      expect(statSync(join(run.credentialsDir, "vault-token")).mode & 0o777).toBe(0o600);
    });
  }

  test("the certificate names the pod IP: a client expecting another IP refuses it", async () => {
    const run = startRun("127.1.7.2", { timeoutMs: 60_000 });
    const { port } = await run.server;
    const http = createHttpClient({
      trust: { kind: "peer-check", check: initCertificateCheck("127.1.7.3") },
      keepAlive: false,
    });
    const error = await http.fetch(`https://127.1.7.2:${port}/`, { method: "POST" }).catch((e: unknown) => e);
    http.close();
    expect(error).toBeInstanceOf(HttpClientError);
    expect((error as HttpClientError).code).toBe("peer-rejected");
    const ok = await pushOnce("127.1.7.2", port, {
      clientCertPem: controllerLeaf.certPem,
      clientKeyPem: controllerLeaf.keyPem,
    });
    expect(ok.status).toBe(200);
    expect(await run.exit).toBe(0);
  });

  test("without a controller CA and without allowUnauthenticatedPush it does not start (ConfigError)", async () => {
    const credentialsDir = mkdtempSync(join(dir, "creds-"));
    let listened = false;
    const error = await runInit(
      baseSettings({
        podIp: "127.1.7.8",
        listen: { hostname: "127.1.7.8", port: 0 },
        credentialsDir,
        tokenPath: join(credentialsDir, "t"),
      }),
      { openVault: freshFakeVault().open, log: quietLogger(), onListening: () => (listened = true) },
    ).catch((e: unknown) => e);
    expect(isConfigError(error)).toBe(true);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(["CONTROLLER_CA_CERT"]);
    expect(listened).toBe(false);
  });

  test("without CONTROLLER_CA_CERT but with allowUnauthenticatedPush anyone may push, and the warning says so", async () => {
    const lines: string[] = [];
    const credentialsDir = mkdtempSync(join(dir, "creds-"));
    let listening: (server: RunningServer) => void = () => {};
    const server = new Promise<RunningServer>((resolve) => {
      listening = resolve;
    });
    const exit = runInit(
      baseSettings({
        podIp: "127.1.7.4",
        listen: { hostname: "127.1.7.4", port: 0 },
        credentialsDir,
        tokenPath: join(credentialsDir, "t"),
        allowUnauthenticatedPush: true,
      }),
      { openVault: freshFakeVault().open, log: quietLogger(lines), onListening: listening },
    );
    const { port } = await server;
    expect((await pushOnce("127.1.7.4", port, {})).status).toBe(200);
    expect(await exit).toBe(0);
    expect(
      lines.some(
        (line) =>
          line.includes('"level":"warn"') &&
          line.includes("UNAUTHENTICATED") &&
          line.includes("INSECURE_UNAUTHENTICATED_PUSH=true"),
      ),
    ).toBe(true);
  });

  test("times out with exit 1 and an explanation naming the refusals and what to check", async () => {
    const run = startRun("127.1.7.5", { timeoutMs: 1_500 });
    const { port } = await run.server;
    run.vault.wrapping = {
      creationPath: "auth/approle/role/admin/secret-id",
      creationTime: new Date(),
      creationTtlSeconds: 60,
    };
    const refused = await pushOnce("127.1.7.5", port, {
      clientCertPem: controllerLeaf.certPem,
      clientKeyPem: controllerLeaf.keyPem,
    });
    expect(refused.status).toBe(403);
    expect(await run.exit).toBe(1);
    const text = run.texts.join("\n");
    expect(text).toContain("timed out after 1.5s");
    expect(text).toContain("1 push was refused");
    expect(text).toContain("auth/approle/role/admin/secret-id");
    expect(text).toContain("kubectl describe pod");
    expect(text).toContain("TCP port");
    expect(readdirSync(run.credentialsDir)).toEqual([]);
  });

  test("a push being exchanged when the timeout strikes still completes, answers and exits 0", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowLogin =
      (open: OpenVault): OpenVault =>
      (target) => {
        const access = open(target);
        return {
          ...access,
          login: async (roleId, secretId) => gate.then(() => access.login(roleId, secretId)),
        };
      };
    const run = startRun("127.1.7.6", { timeoutMs: 1_000 }, slowLogin);
    const { port } = await run.server;
    const answer = pushOnce("127.1.7.6", port, {
      clientCertPem: controllerLeaf.certPem,
      clientKeyPem: controllerLeaf.keyPem,
    });
    await waitFor(
      "the listener to stop accepting at the timeout",
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect({ host: "127.1.7.6", port });
          socket.once("connect", () => {
            socket.destroy();
            resolve(false);
          });
          socket.once("error", () => resolve(true));
        }),
    );
    release();
    expect((await answer).status).toBe(200);
    expect(await run.exit).toBe(0);
    expect(readdirSync(run.credentialsDir)).toEqual(["vault-token"]);
    expect(run.texts).toEqual([]);
  });
});
