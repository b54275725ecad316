// A token file that cannot be written after the login (issue 12, part 5), against the compiled init: the token it
// just obtained is revoked in Vault (revoke-self) rather than left live for its TTL, nothing is left half-written,
// the refusal says "write-failed", and the init keeps waiting for another push.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
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
let pod: InitPod;

beforeAll(async () => {
  h = await startHarness("write-failure");
  pod = await startInit(h, "127.1.25.1");
});
afterAll(async () => {
  await pod?.process.stop();
  await h?.stop();
});

const loginTokens: string[] = [];

test("the token file cannot be written after login: the new token is revoked and nothing is left behind", async () => {
  // Put there after the start-up check passed. rename() cannot replace a directory with a file, whoever runs the
  // test (root ignores permission bits, so a read-only mode would not do).
  const tokenPath = join(pod.credentialsDir, "vault-token");
  mkdirSync(tokenPath);
  const issuedBefore = h.issuedTokens.length;
  const loginsBefore = h.logins();
  const wrap = await h.mint(ROLE, { cidrList: [`${pod.podIp}/32`] });
  const response = await push(pod.podIp, h.pushRequest(wrap), h.controller);
  const answer = (await response.json()) as { reason: string; error: string };
  expect(`${response.status} ${answer.reason}`).toBe("500 write-failed");
  expect(answer.error).toContain("revoked");

  expect(h.logins()).toBe(loginsBefore + 1);
  loginTokens.push(...h.issuedTokens.slice(issuedBefore).filter((token) => !h.minted.includes(token)));
  expect(loginTokens).toHaveLength(1);
  for (const token of loginTokens) {
    const self = await h.vault("auth/token/lookup-self", { headers: { "X-Vault-Token": token } });
    expect(self.status).toBe(403);
  }

  expect(readdirSync(pod.credentialsDir)).toEqual(["vault-token"]);
  expect(statSync(tokenPath).isDirectory()).toBe(true);
  expect(readdirSync(tokenPath)).toEqual([]);
  expect(pod.process.exitCode()).toBeNull();
  const output = await pod.process.waitForOutput("revoked the token");
  const line = output.split("\n").find((text) => text.includes("revoked the token"));
  expect(line).toContain('"tokenAccessor"');
  for (const secret of [...loginTokens, wrap.token]) expect(output).not.toContain(secret);
});

test("once the obstacle is gone, a fresh push succeeds and the init exits 0", async () => {
  rmdirSync(join(pod.credentialsDir, "vault-token"));
  const wrap = await h.mint(ROLE, { cidrList: [`${pod.podIp}/32`] });
  expect((await push(pod.podIp, h.pushRequest(wrap), h.controller)).status).toBe(200);
  expect(await pod.process.exited()).toBe(0);
  expect(readdirSync(pod.credentialsDir).sort()).toEqual(["ca.crt", "vault-token"]);
  const output = await outputAfterExit(pod, "credentials delivered; exiting");
  for (const secret of [...loginTokens, ...h.minted]) expect(output).not.toContain(secret);
});
