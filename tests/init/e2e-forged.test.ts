// Forged and broken pushes against the compiled init: each is refused, leaves no file and keeps the init waiting;
// only a proper push afterwards succeeds. Also: no partial file is ever visible while the files are written.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";
import { HttpClientError } from "../../lib/runtime/index.ts";
import { waitFor } from "../support/wait.ts";
import {
  type Harness,
  type InitPod,
  OTHER_ROLE,
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
  h = await startHarness("forged");
  pod = await startInit(h, "127.1.21.1");
});
afterAll(async () => {
  await pod?.process.stop();
  await h?.stop();
});

async function expectRefused(response: Response, status: number, reason?: string): Promise<void> {
  const body = (await response.json()) as { reason: string; error: string };
  expect(response.status).toBe(status);
  if (reason) expect(body.reason).toBe(reason);
  expect(readdirSync(pod.credentialsDir)).toEqual([]);
  expect(pod.process.exitCode()).toBeNull();
}

describe("forged pushes leave no file and the init keeps waiting", () => {
  test("no client certificate: refused in the TLS handshake", async () => {
    const wrap = await h.mint();
    const error = await push(pod.podIp, h.pushRequest(wrap), undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpClientError);
    expect(readdirSync(pod.credentialsDir)).toEqual([]);
    expect(pod.process.exitCode()).toBeNull();
  });

  test("a client certificate from another CA: refused in the TLS handshake", async () => {
    const wrap = await h.mint();
    const error = await push(pod.podIp, h.pushRequest(wrap), h.stranger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpClientError);
    expect(pod.process.exitCode()).toBeNull();
  });

  test("a valid wrapping token of another AppRole: 403, and the token is not spent", async () => {
    const wrap = await h.mint(OTHER_ROLE);
    await expectRefused(
      await push(pod.podIp, h.pushRequest(wrap), h.controller),
      403,
      "creation-path-mismatch",
    );
    expect(await h.wrappingTokenAlive(wrap.token)).toBe(true);
  });

  test("a push naming another Vault than VAULT_ADDR: 403", async () => {
    const wrap = await h.mint();
    const forged = h.pushRequest(wrap, { vaultAddr: "https://127.0.0.66:8200" });
    await expectRefused(await push(pod.podIp, forged, h.controller), 403, "vault-addr-mismatch");
  });

  test("an already-used wrapping token: 403", async () => {
    const wrap = await h.mint();
    const unwrap = await h.vault("sys/wrapping/unwrap", {
      method: "POST",
      headers: { "X-Vault-Token": wrap.token },
    });
    expect(unwrap.status).toBe(200);
    await expectRefused(
      await push(pod.podIp, h.pushRequest(wrap), h.controller),
      403,
      "wrapping-token-invalid",
    );
  });

  test("an expired wrapping token: 403", async () => {
    const wrap = await h.mint(ROLE, { wrapTtl: "1s" });
    await waitFor("the wrapping token to expire", async () => !(await h.wrappingTokenAlive(wrap.token)));
    const response = await push(pod.podIp, h.pushRequest(wrap), h.controller);
    expect(response.status).toBe(403);
    await expectRefused(response, 403);
  });

  test("oversize, malformed, wrongly typed, misrouted and wrong-method pushes", async () => {
    const wrap = await h.mint();
    const big = JSON.stringify({ ...h.pushRequest(wrap), padding: "x".repeat(100 * 1024) });
    await expectRefused(await push(pod.podIp, big, h.controller), 413, "too-large");
    await expectRefused(await push(pod.podIp, '{"token":', h.controller), 400, "malformed");
    await expectRefused(
      await push(pod.podIp, JSON.stringify({ ...h.pushRequest(wrap), ttl: "soon" }), h.controller),
      400,
      "malformed",
    );
    await expectRefused(
      await push(pod.podIp, h.pushRequest(wrap), h.controller, { contentType: "text/plain" }),
      400,
      "unsupported-media-type",
    );
    await expectRefused(
      await push(pod.podIp, h.pushRequest(wrap), h.controller, { path: "/push" }),
      404,
      "not-found",
    );
    await expectRefused(
      await push(pod.podIp, "", h.controller, { method: "GET" }),
      405,
      "method-not-allowed",
    );
  });

  test("then a proper push succeeds, and no partial file was ever visible while writing", async () => {
    const seen: string[] = [];
    const torn: string[] = [];
    const tokenPath = join(pod.credentialsDir, "vault-token");
    const watcher = watch(pod.credentialsDir, (_event, name) => {
      if (name) seen.push(name);
      if (name === "vault-token" && existsSync(tokenPath)) {
        const text = readFileSync(tokenPath, "utf8");
        try {
          JSON.parse(text);
        } catch {
          torn.push(text.length.toString());
        }
      }
    });
    let polling = true;
    const poll = (async () => {
      while (polling) {
        if (existsSync(tokenPath)) {
          const text = readFileSync(tokenPath, "utf8");
          if (!text.endsWith("}")) torn.push(`poll:${text.length}`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      const wrap = await h.mint();
      const response = await push(pod.podIp, h.pushRequest(wrap), h.controller);
      expect(response.status).toBe(200);
      expect(await pod.process.exited()).toBe(0);
    } finally {
      polling = false;
      await poll;
      watcher.close();
    }
    expect(torn).toEqual([]);
    expect(seen).toContain("vault-token");
    expect(readdirSync(pod.credentialsDir).sort()).toEqual(["ca.crt", "vault-token"]);
  });

  test("no wrapping token reached the output, and every refusal was logged with its reason", async () => {
    const output = await outputAfterExit(pod, "credentials delivered; exiting");
    expect(h.minted.length).toBeGreaterThanOrEqual(8);
    for (const token of h.minted) expect(output).not.toContain(token);
    for (const reason of [
      "creation-path-mismatch",
      "vault-addr-mismatch",
      "wrapping-token-invalid",
      "too-large",
      "not-found",
    ])
      expect(output).toContain(reason);
  });
});
