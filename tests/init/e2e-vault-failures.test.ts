// When Vault fails or refuses during the exchange, the compiled init answers 5xx with the reason, writes nothing and
// keeps waiting; a fresh push afterwards succeeds.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
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
  h = await startHarness("vault-failures");
  pod = await startInit(h, "127.1.23.1");
});
afterAll(async () => {
  await pod?.process.stop();
  await h?.stop();
});

async function rejection(response: Response): Promise<{ status: number; reason: string; error: string }> {
  const body = (await response.json()) as { reason: string; error: string };
  return { status: response.status, ...body };
}

test("Vault unreachable: 502 vault-unavailable, nothing written, still waiting", async () => {
  const wrap = await h.mint(ROLE);
  await h.setVaultOnline(false);
  try {
    const answer = await rejection(await push(pod.podIp, h.pushRequest(wrap), h.controller));
    expect(answer.status).toBe(502);
    expect(answer.reason).toBe("vault-unavailable");
    expect(answer.error).toContain("not reached");
  } finally {
    await h.setVaultOnline(true);
  }
  expect(readdirSync(pod.credentialsDir)).toEqual([]);
  expect(pod.process.exitCode()).toBeNull();
});

test("login refused (secret_id bound to another address): 502 login-failed, still waiting", async () => {
  const wrap = await h.mint(ROLE, { cidrList: ["127.1.23.200/32"] });
  const answer = await rejection(await push(pod.podIp, h.pushRequest(wrap), h.controller));
  expect(answer.status).toBe(502);
  expect(answer.reason).toBe("login-failed");
  expect(answer.error).toContain("CIDR");
  expect(readdirSync(pod.credentialsDir)).toEqual([]);
  expect(pod.process.exitCode()).toBeNull();
});

test("a fresh push afterwards succeeds", async () => {
  const wrap = await h.mint(ROLE, { cidrList: [`${pod.podIp}/32`] });
  expect((await push(pod.podIp, h.pushRequest(wrap), h.controller)).status).toBe(200);
  expect(await pod.process.exited()).toBe(0);
  expect(readdirSync(pod.credentialsDir).sort()).toEqual(["ca.crt", "vault-token"]);
  const output = await outputAfterExit(pod, "credentials delivered; exiting");
  for (const token of h.minted) expect(output).not.toContain(token);
});
