// The compiled init against the Vault stand-in over HTTPS: every output mode, file formats and modes, the secret_id's
// CIDR binding to the pod IP, and that nothing secret reaches the output.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type Harness,
  type InitPod,
  outputAfterExit,
  push,
  ROLE,
  startHarness,
  startInit,
} from "./harness.ts";

// Real TLS servers and processes on a busy CI machine: wait generously (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(120_000);

let h: Harness;
const pods: InitPod[] = [];
const secrets: string[] = [];

beforeAll(async () => {
  h = await startHarness("modes");
});
afterAll(async () => {
  for (const pod of pods) await pod.process.stop();
  await h?.stop();
});

async function launch(podIp: string, env: Record<string, string> = {}): Promise<InitPod> {
  const pod = await startInit(h, podIp, env);
  pods.push(pod);
  return pod;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

describe("output modes", () => {
  test("token mode: the token file in the original's format, mode 0600, ca.crt beside it, exit 0", async () => {
    const pod = await launch("127.1.20.1");
    const wrap = await h.mint(ROLE, { cidrList: ["127.1.20.1/32"] });
    secrets.push(wrap.token);
    const response = await push(pod.podIp, h.pushRequest(wrap), h.controller);
    expect(response.status).toBe(200);
    const confirmation = (await response.json()) as { tokenAccessor: string; secretIdAccessor: string };
    expect(await pod.process.exited()).toBe(0);
    expect(readdirSync(pod.credentialsDir).sort()).toEqual(["ca.crt", "vault-token"]);
    const tokenPath = join(pod.credentialsDir, "vault-token");
    const raw = readFileSync(tokenPath, "utf8");
    const token = readJson(tokenPath);
    expect(Object.keys(token)).toEqual([
      "clientToken",
      "accessor",
      "leaseDuration",
      "renewable",
      "vaultAddr",
    ]);
    expect(raw).not.toContain("\n");
    expect(token.accessor).toBe(confirmation.tokenAccessor);
    expect(token.vaultAddr).toBe(h.vaultAddr);
    expect(token.leaseDuration).toBe(3600);
    expect(token.renewable).toBe(true);
    expect(confirmation.secretIdAccessor).toMatch(/\S/);
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(pod.credentialsDir, "ca.crt")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(pod.credentialsDir, "ca.crt"), "utf8")).toBe(h.vaultCaPem);
    secrets.push(String(token.clientToken));
    const self = await h.vault("auth/token/lookup-self", {
      headers: { "X-Vault-Token": String(token.clientToken) },
    });
    expect(self.status).toBe(200);
    // The secret_id was bound to 127.1.20.1/32: the login succeeding proves the init called Vault from its pod IP.
  });

  test("RETRIEVE_TOKEN=false writes vault-secret-id, usable for a login from the pod IP", async () => {
    const pod = await launch("127.1.20.2", { RETRIEVE_TOKEN: "false" });
    const wrap = await h.mint(ROLE, { cidrList: ["127.1.20.2/32"] });
    secrets.push(wrap.token);
    const response = await push(pod.podIp, h.pushRequest(wrap), h.controller);
    expect(response.status).toBe(200);
    const confirmation = (await response.json()) as Record<string, unknown>;
    expect(confirmation.tokenAccessor).toBeUndefined();
    expect(await pod.process.exited()).toBe(0);
    const path = join(pod.credentialsDir, "vault-secret-id");
    const file = readJson(path);
    expect(Object.keys(file)).toEqual(["roleId", "secretId", "accessor", "vaultAddr"]);
    expect(file.roleId).toBe(h.roleId);
    expect(file.accessor).toBe(confirmation.secretIdAccessor);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    secrets.push(String(file.secretId));
    const body = JSON.stringify({ role_id: h.roleId, secret_id: file.secretId });
    const login = await h.vault("auth/approle/login", { method: "POST", body }, "127.1.20.2");
    expect(`${login.status} ${await login.text()}`).toStartWith("200 ");
  });

  test("UNWRAP_SECRET=false too writes vault-wrapped-secret-id and leaves the wrapping token unspent", async () => {
    const pod = await launch("127.1.20.3", { RETRIEVE_TOKEN: "false", UNWRAP_SECRET: "false" });
    const wrap = await h.mint(ROLE);
    secrets.push(wrap.token);
    const response = await push(pod.podIp, h.pushRequest(wrap), h.controller);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(await pod.process.exited()).toBe(0);
    const path = join(pod.credentialsDir, "vault-wrapped-secret-id");
    const file = readJson(path);
    expect(file).toEqual({ roleId: h.roleId, wrappedSecretId: wrap.token, vaultAddr: h.vaultAddr, ttl: 60 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const unwrap = await h.vault("sys/wrapping/unwrap", {
      method: "POST",
      headers: { "X-Vault-Token": wrap.token },
    });
    expect(unwrap.status).toBe(200);
  });

  test("two simultaneous pushes: exactly one is exchanged, the other is left unspent", async () => {
    const pod = await launch("127.1.20.4");
    const wraps = [await h.mint(), await h.mint()];
    const answers = await Promise.allSettled(
      wraps.map((wrap) => push(pod.podIp, h.pushRequest(wrap), h.controller)),
    );
    // The loser arrives while the winner is exchanged (409), after it answered (410) or after the listener closed.
    const statuses = answers.map((answer) =>
      answer.status === "fulfilled" ? answer.value.status : "closed",
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    for (const status of statuses) expect([200, 409, 410, "closed"]).toContain(status);
    expect(await pod.process.exited()).toBe(0);
    expect(readdirSync(pod.credentialsDir).sort()).toEqual(["ca.crt", "vault-token"]);
    const stillValid = await Promise.all(wraps.map((wrap) => h.wrappingTokenAlive(wrap.token)));
    expect(stillValid.filter(Boolean)).toHaveLength(1);
  });

  test("no token, secret_id or wrapping token appears in any init's output", async () => {
    expect(pods.length).toBe(4);
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const pod of pods) {
      const output = await outputAfterExit(pod, "credentials delivered; exiting");
      expect(output).toContain("credentials written");
      for (const secret of secrets) expect(output).not.toContain(secret);
    }
  });
});
