// The controller's pusher against the init container's real HTTP app (lib/init) over mutual TLS: one wire contract.
import { afterAll, expect, test } from "bun:test";
import { createHttpsPusher } from "../../lib/controller/pusher/index.ts";
import { createInitApp, type ExchangeOutcome } from "../../lib/init/index.ts";
import { createLogger } from "../../lib/log/index.ts";
import type { PushRequest } from "../../lib/push/index.ts";
import { type RunningServer, serve } from "../../lib/runtime/index.ts";
import { createCertificateAuthority, issueLeaf, selfSignedLeaf } from "../../lib/tls/index.ts";

const HOUR = 3_600_000;
const POD_IP = "127.1.8.1";
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.stop(true);
});

test("refusal, delivery and 'already delivered' read the same on both sides", async () => {
  const controllerCa = await createCertificateAuthority("controller CA", HOUR);
  const identity = await issueLeaf(controllerCa, {
    commonName: "controller",
    ttlMs: HOUR,
    usages: ["client"],
  });
  const answers: ExchangeOutcome[] = [
    { ok: false, refusal: { reason: "unwrap-failed", error: "unwrapping failed: Vault said 400" } },
    { ok: true, confirmation: { tokenAccessor: "tok-acc", secretIdAccessor: "sid-acc" }, paths: [] },
  ];
  const received: PushRequest[] = [];
  const init = createInitApp({
    log: createLogger("error"),
    exchange: async (push, slot) => {
      received.push(push);
      const answer = answers.shift() ?? {
        ok: false,
        refusal: { reason: "write-failed", error: "unexpected" },
      };
      // As the real exchange does: the slot is claimed before the wrapping token would be spent.
      if (answer.ok) slot.claim();
      return answer;
    },
  });
  server = await serve({
    hostname: POD_IP,
    port: 0,
    tls: {
      ...(await selfSignedLeaf({ commonName: "vault-init", ipSans: [POD_IP], ttlMs: HOUR })),
      clientCaPem: controllerCa.certPem,
      requireClientCert: true,
    },
    fetch: (request, info) => init.app.fetch(request, { remoteAddress: info.remoteAddress }),
  });
  const pusher = createHttpsPusher({ identity: () => identity, initPort: server.port, timeoutMs: 20_000 });
  const push: PushRequest = {
    token: "s.wrapping",
    creationTime: "2026-01-02T03:04:05Z",
    ttl: 60,
    vaultAddr: "https://vault.test:8200",
    vaultCAs: null,
  };
  const signal = new AbortController().signal;

  expect(await pusher.push(POD_IP, push, signal)).toEqual({
    kind: "failed",
    retry: true,
    reason: "init answered HTTP 502: unwrap-failed: unwrapping failed: Vault said 400",
  });
  expect(await pusher.push(POD_IP, push, signal)).toEqual({
    kind: "delivered",
    tokenAccessor: "tok-acc",
    secretIdAccessor: "sid-acc",
  });
  expect(await pusher.push(POD_IP, push, signal)).toEqual({ kind: "already-delivered" });
  expect(received).toEqual([push, push]);
});
