// The HTTPS pusher against real TLS servers on 127.1.x.y: certificate names, client certificate, answers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHttpsPusher } from "../../lib/controller/pusher/index.ts";
import type { PushRequest } from "../../lib/push/index.ts";
import { type RunningServer, serve } from "../../lib/runtime/index.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueLeaf,
  type KeyPairPem,
  selfSignedLeaf,
} from "../../lib/tls/index.ts";
import { waitFor } from "../support/wait.ts";

const HOUR = 3_600_000;
const request: PushRequest = {
  token: "s.wrapping-secret",
  creationTime: "2026-01-02T03:04:05Z",
  ttl: 60,
  vaultAddr: "https://vault.test:8200",
  vaultCAs: null,
};

let controllerCa: CertificateAuthority;
let controllerIdentity: KeyPairPem;
const servers: RunningServer[] = [];
const received: string[] = [];
const remoteAddresses: string[] = [];
let answer: () => Response = () => Response.json({ tokenAccessor: "tok-acc", secretIdAccessor: "sid-acc" });

async function initServer(listenIp: string, certificateIp: string): Promise<RunningServer> {
  const leaf = await selfSignedLeaf({ commonName: "vault-init", ipSans: [certificateIp], ttlMs: HOUR });
  const server = await serve({
    hostname: listenIp,
    port: 0,
    tls: { ...leaf, clientCaPem: controllerCa.certPem, requireClientCert: true },
    fetch: async (incoming, info) => {
      received.push(await incoming.text());
      remoteAddresses.push(info.remoteAddress ?? "");
      return answer();
    },
  });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  controllerCa = await createCertificateAuthority("controller CA", HOUR);
  controllerIdentity = await issueLeaf(controllerCa, {
    commonName: "controller",
    ttlMs: HOUR,
    usages: ["client"],
  });
});

afterAll(async () => {
  for (const server of servers) await server.stop(true);
});

const pusherFor = (server: RunningServer) =>
  createHttpsPusher({ identity: () => controllerIdentity, initPort: server.port, timeoutMs: 20_000 });
const live = () => new AbortController().signal;

describe("https pusher", () => {
  test("accepts an init whose certificate names the pod IP and reads its confirmation", async () => {
    const server = await initServer("127.1.7.1", "127.1.7.1");
    answer = () => Response.json({ tokenAccessor: "tok-acc", secretIdAccessor: "sid-acc" });
    const outcome = await pusherFor(server).push("127.1.7.1", request, live());
    expect(outcome).toEqual({ kind: "delivered", tokenAccessor: "tok-acc", secretIdAccessor: "sid-acc" });
    expect(JSON.parse(received.at(-1) ?? "{}")).toEqual(request);
  });

  test("refuses an init whose certificate names another IP, before sending anything", async () => {
    const server = await initServer("127.1.7.2", "127.1.7.9");
    const before = received.length;
    const outcome = await pusherFor(server).push("127.1.7.2", request, live());
    expect(outcome.kind).toBe("failed");
    if (outcome.kind === "failed") {
      expect(outcome.reason).toContain("names 127.1.7.9, not the pod IP 127.1.7.2");
      expect(outcome.reason).not.toContain("s.wrapping-secret");
    }
    expect(received.length).toBe(before);
  });

  test("without a client certificate the init's TLS refuses the push", async () => {
    const server = await initServer("127.1.7.3", "127.1.7.3");
    const pusher = createHttpsPusher({ identity: () => undefined, initPort: server.port, timeoutMs: 20_000 });
    const outcome = await pusher.push("127.1.7.3", request, live());
    expect(outcome.kind).toBe("failed");
  });

  test("a 2xx without a valid confirmation body is a failure, not a success", async () => {
    const server = await initServer("127.1.7.4", "127.1.7.4");
    answer = () => new Response("ok", { status: 200 });
    expect(await pusherFor(server).push("127.1.7.4", request, live())).toEqual({
      kind: "failed",
      retry: true,
      reason: "init answered HTTP 200 without a valid confirmation body",
    });
    answer = () => Response.json({ tokenAccessor: 42 }, { status: 200 });
    expect((await pusherFor(server).push("127.1.7.4", request, live())).kind).toBe("failed");
  });

  test("non-2xx answers carry the init's reason and say whether retrying helps", async () => {
    const server = await initServer("127.1.7.5", "127.1.7.5");
    answer = () => Response.json({ reason: "unwrap-failed", error: "Vault said no" }, { status: 502 });
    expect(await pusherFor(server).push("127.1.7.5", request, live())).toEqual({
      kind: "failed",
      retry: true,
      reason: "init answered HTTP 502: unwrap-failed: Vault said no",
    });
    answer = () =>
      Response.json({ reason: "vault-addr-mismatch", error: "pinned elsewhere" }, { status: 403 });
    expect(await pusherFor(server).push("127.1.7.5", request, live())).toMatchObject({
      kind: "failed",
      retry: false,
    });
    answer = () => Response.json({ reason: "already-delivered", error: "done" }, { status: 410 });
    expect(await pusherFor(server).push("127.1.7.5", request, live())).toEqual({ kind: "already-delivered" });
    answer = () => new Response("nope", { status: 500 });
    expect(await pusherFor(server).push("127.1.7.5", request, live())).toEqual({
      kind: "failed",
      retry: true,
      reason: "init answered HTTP 500",
    });
  });

  test("a push aborted mid-flight stops waiting for the init", async () => {
    let entered = false;
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowServer = await serve({
      hostname: "127.1.7.8",
      port: 0,
      tls: await selfSignedLeaf({ commonName: "vault-init", ipSans: ["127.1.7.8"], ttlMs: HOUR }),
      fetch: async () => {
        entered = true;
        await stalled;
        return Response.json({});
      },
    });
    servers.push(slowServer);
    const controller = new AbortController();
    const pending = createHttpsPusher({ identity: () => controllerIdentity, initPort: slowServer.port }).push(
      "127.1.7.8",
      request,
      controller.signal,
    );
    await waitFor("the push to reach the init", () => entered);
    controller.abort();
    const outcome = await pending;
    release();
    expect(outcome).toMatchObject({ kind: "failed", reason: expect.stringContaining("aborted") });
  });

  test("nothing listening is a retryable failure; an aborted signal stops the push", async () => {
    const pusher = createHttpsPusher({ identity: () => controllerIdentity, initPort: 1, timeoutMs: 20_000 });
    const refused = await pusher.push("127.1.7.6", request, live());
    expect(refused).toMatchObject({ kind: "failed", retry: true, unreached: true });
    const server = await initServer("127.1.7.7", "127.1.7.7");
    const aborted = new AbortController();
    aborted.abort();
    const before = received.length;
    const outcome = await pusherFor(server).push("127.1.7.7", request, aborted.signal);
    expect(outcome).toMatchObject({ kind: "failed", reason: expect.stringContaining("aborted") });
    expect(outcome).not.toHaveProperty("unreached");
    expect(received.length).toBe(before);
  });
});

test("pushes leave from localAddress (the controller's POD_IP), not the kernel's choice", async () => {
  answer = () => Response.json({ tokenAccessor: "tok-acc", secretIdAccessor: "sid-acc" });
  const server = await initServer("127.1.7.20", "127.1.7.20");
  const pusher = createHttpsPusher({
    identity: () => controllerIdentity,
    initPort: server.port,
    localAddress: "127.1.7.21",
    timeoutMs: 20_000,
  });
  expect(await pusher.listening?.("127.1.7.20", live())).toEqual({ listening: true });
  expect(await pusher.push("127.1.7.20", request, live())).toMatchObject({ kind: "delivered" });
  expect(remoteAddresses.at(-1)).toBe("127.1.7.21");
});

describe("sidecar status", () => {
  test("GET /status over the same mutual TLS returns the sidecar's token standing", async () => {
    const server = await initServer("127.1.19.1", "127.1.19.1");
    const paths: string[] = [];
    answer = () =>
      Response.json({ mode: "sidecar", token: "valid", ttlSeconds: 7, renewable: true, generation: 2 });
    const seen = serve({
      hostname: "127.1.19.2",
      port: 0,
      tls: {
        ...(await selfSignedLeaf({ commonName: "vault-init", ipSans: ["127.1.19.2"], ttlMs: HOUR })),
        clientCaPem: controllerCa.certPem,
        requireClientCert: true,
      },
      fetch: (incoming) => {
        paths.push(`${incoming.method} ${new URL(incoming.url).pathname}`);
        return Response.json({ mode: "sidecar", token: "expiring", ttlSeconds: 3, renewable: false });
      },
    });
    const pathServer = await seen;
    servers.push(pathServer);
    expect(await pusherFor(server).status?.("127.1.19.1", live())).toEqual({
      kind: "status",
      status: { mode: "sidecar", token: "valid", ttlSeconds: 7, renewable: true, generation: 2 },
    });
    expect(await pusherFor(pathServer).status?.("127.1.19.2", live())).toEqual({
      kind: "status",
      status: { mode: "sidecar", token: "expiring", ttlSeconds: 3, renewable: false },
    });
    expect(paths).toEqual(["GET /status"]);
  });

  test("a non-200, a body that is not a status, a wrong certificate or nothing listening is unreachable", async () => {
    const server = await initServer("127.1.19.3", "127.1.19.3");
    answer = () => Response.json({ reason: "not-found", error: "no such path" }, { status: 404 });
    const pusher = pusherFor(server);
    const notFound = await pusher.status?.("127.1.19.3", live());
    expect(notFound).toMatchObject({ kind: "unreachable" });
    expect(notFound?.kind === "unreachable" && notFound.reason).toContain("HTTP 404");
    answer = () => Response.json({ tokenAccessor: "tok-acc" });
    const garbled = await pusher.status?.("127.1.19.3", live());
    expect(garbled?.kind === "unreachable" && garbled.reason).toContain("not a token status");
    const impostor = await initServer("127.1.19.4", "127.1.19.9");
    answer = () => Response.json({ mode: "sidecar", token: "valid", ttlSeconds: 7, renewable: true });
    const refused = await pusherFor(impostor).status?.("127.1.19.4", live());
    expect(refused?.kind === "unreachable" && refused.reason).toContain("not the pod IP 127.1.19.4");
    const closed = createHttpsPusher({ identity: () => controllerIdentity, initPort: server.port });
    await server.stop(true);
    expect((await closed.status?.("127.1.19.3", live()))?.kind).toBe("unreachable");
  });
});

test("one TLS context per client certificate: a renewed certificate is used from the next push on", async () => {
  const server = await initServer("127.1.19.5", "127.1.19.5");
  answer = () => Response.json({ tokenAccessor: "tok-acc" });
  const otherCa = await createCertificateAuthority("another CA", HOUR);
  const foreign = await issueLeaf(otherCa, { commonName: "controller", ttlMs: HOUR, usages: ["client"] });
  let identity: KeyPairPem = controllerIdentity;
  const pusher = createHttpsPusher({ identity: () => identity, initPort: server.port, timeoutMs: 20_000 });
  expect((await pusher.push("127.1.19.5", request, live())).kind).toBe("delivered");
  expect((await pusher.push("127.1.19.5", request, live())).kind).toBe("delivered");
  identity = foreign;
  expect((await pusher.push("127.1.19.5", request, live())).kind).toBe("failed");
  identity = controllerIdentity;
  expect((await pusher.push("127.1.19.5", request, live())).kind).toBe("delivered");
});
