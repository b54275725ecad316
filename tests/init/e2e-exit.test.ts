// How the compiled init ends when it does not get credentials: the timeout explanation with exit 1, configuration
// errors with exit 2 naming the variable, and the start-up warning of an unauthenticated push (opted into with
// INSECURE_UNAUTHENTICATED_PUSH=true; e2e-secure-defaults.test.ts covers the refusal without it).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Harness, type InitPod, outputAfterExit, push, startHarness, startInit } from "./harness.ts";

// Real TLS servers and processes on a busy CI machine: wait generously (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(120_000);

let h: Harness;
const pods: InitPod[] = [];

beforeAll(async () => {
  h = await startHarness("exit");
});
afterAll(async () => {
  for (const pod of pods) await pod.process.stop();
  await h?.stop();
});

test("times out with exit 1 and says what never arrived and what to check", async () => {
  const pod = await startInit(h, "127.1.22.1", { TIMEOUT: "3s" });
  pods.push(pod);
  expect(await pod.process.exited()).toBe(1);
  const output = await outputAfterExit(pod, "Vault is reachable from this pod");
  expect(output).toContain("timed out after 3s without receiving a valid secret_id push");
  expect(output).toContain("No push arrived at all");
  expect(output).toContain("kubectl describe pod");
  expect(output).toContain("leader");
  expect(output).toContain("ALLOWED_ROLES");
  expect(output).toContain("TCP port 50000");
  expect(readdirSync(pod.credentialsDir)).toEqual([]);
});

test("a refused push is summarised in the timeout explanation", async () => {
  const pod = await startInit(h, "127.1.22.2", { TIMEOUT: "4s" });
  pods.push(pod);
  const wrap = await h.mint("other");
  expect((await push(pod.podIp, h.pushRequest(wrap), h.controller)).status).toBe(403);
  expect(await pod.process.exited()).toBe(1);
  expect(await outputAfterExit(pod, "Vault is reachable from this pod")).toContain(
    "1 push was refused; the last one because the wrapping token was created by auth/approle/role/other/secret-id",
  );
});

test("SIGTERM (a deleted pod) stops it at once with 143, writing nothing", async () => {
  const pod = await startInit(h, "127.1.22.6");
  pods.push(pod);
  pod.process.signal("SIGTERM");
  expect(await pod.process.exited()).toBe(143);
  expect(await outputAfterExit(pod, "stopped by SIGTERM")).toContain("before credentials were delivered");
  expect(readdirSync(pod.credentialsDir)).toEqual([]);
});

test("a configuration error exits 2 and names every bad variable", async () => {
  const pod = await startInit(h, "127.1.22.3", { VAULT_ROLE_ID: undefined, TIMEOUT: "soon" }, false);
  pods.push(pod);
  expect(await pod.process.exited()).toBe(2);
  const output = await outputAfterExit(pod, "TIMEOUT");
  expect(output).toContain("VAULT_ROLE_ID");
  expect(output).toContain("TIMEOUT");
});

test("an unwritable token directory or an unreadable CA file is a configuration error (exit 2) at start-up", async () => {
  // A path below a regular file cannot be created, even by root (tests may run as root, which ignores modes).
  const notADirectory = join(h.dir, "plain-file");
  writeFileSync(notADirectory, "");
  const pod = await startInit(
    h,
    "127.1.22.5",
    { TOKEN_PATH: join(notADirectory, "vault-token"), CONTROLLER_CA_CERT: join(h.dir, "missing.pem") },
    false,
  );
  pods.push(pod);
  expect(await pod.process.exited()).toBe(2);
  const output = await outputAfterExit(pod, "CONTROLLER_CA_CERT");
  expect(output).toContain("TOKEN_PATH");
  expect(output).toContain("not writable");
  expect(output).toContain("CONTROLLER_CA_CERT");
  expect(output).toContain("does not exist");
});

test("with INSECURE_UNAUTHENTICATED_PUSH=true and no CONTROLLER_CA_CERT it warns that the push is unauthenticated, and still works", async () => {
  const pod = await startInit(h, "127.1.22.4", {
    CONTROLLER_CA_CERT: undefined,
    INSECURE_UNAUTHENTICATED_PUSH: "true",
    VAULT_CACERT: h.vaultCaPath,
  });
  pods.push(pod);
  expect(await pod.process.waitForOutput("UNAUTHENTICATED")).toContain("push is UNAUTHENTICATED");
  const wrap = await h.mint();
  const response = await push(pod.podIp, h.pushRequest(wrap), undefined);
  expect(response.status).toBe(200);
  expect(await pod.process.exited()).toBe(0);
  // The push's CAs were not trusted (unauthenticated), so ca.crt holds VAULT_CACERT's bundle, which verified Vault.
  expect(readdirSync(pod.credentialsDir).sort()).toEqual(["ca.crt", "vault-token"]);
});
