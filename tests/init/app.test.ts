// createInitApp(): routing, body limits, validation and the one-push-at-a-time slot, driven with app.request().
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { createInitApp, type ExchangeOutcome } from "../../lib/init/index.ts";
import { type PushRejection, PushRejectionSchema, type PushRequest } from "../../lib/push/index.ts";
import { quietLogger, samplePush } from "./fakes.ts";

const SUCCESS: ExchangeOutcome = {
  ok: true,
  confirmation: { tokenAccessor: "ta", secretIdAccessor: "sa" },
  paths: ["/creds/vault-token"],
};

function build(exchange: (push: PushRequest) => Promise<ExchangeOutcome> = async () => SUCCESS) {
  const rejected: PushRejection[] = [];
  const delivered: Promise<void>[] = [];
  const logs: string[] = [];
  const init = createInitApp({
    exchange,
    log: quietLogger(logs),
    maxBodyBytes: 4096,
    onRejected: (r) => rejected.push(r),
    onDelivered: (_c, sent) => delivered.push(sent),
  });
  const post = (
    body: string,
    headers: Record<string, string> = { "content-type": "application/json" },
    path = "/",
  ) => init.app.request(path, { method: "POST", body, headers }, { remoteAddress: "127.0.0.9" });
  return { init, rejected, delivered, logs, post };
}

async function rejectionOf(response: Response): Promise<PushRejection> {
  return v.parse(PushRejectionSchema, await response.json());
}

describe("routing", () => {
  test("a wrong path is 404, a wrong method 405 with Allow, and neither uses the slot", async () => {
    const { init, rejected, post } = build();
    expect((await init.app.request("/metrics")).status).toBe(404);
    expect(
      (await post(JSON.stringify(samplePush()), { "content-type": "application/json" }, "/x")).status,
    ).toBe(404);
    const get = await init.app.request("/", { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await rejectionOf(await init.app.request("/", { method: "PUT", body: "{}" }))).reason).toBe(
      "method-not-allowed",
    );
    expect(rejected.map((r) => r.reason)).toEqual([
      "not-found",
      "not-found",
      "method-not-allowed",
      "method-not-allowed",
    ]);
    expect(init.phase()).toBe("waiting");
  });
});

describe("bodies", () => {
  test("a wrong content type is 400", async () => {
    const { post } = build();
    const response = await post(JSON.stringify(samplePush()), { "content-type": "text/plain" });
    expect(response.status).toBe(400);
    expect((await rejectionOf(response)).reason).toBe("unsupported-media-type");
  });

  test("malformed JSON and invalid fields are 400 naming the field, without echoing the token", async () => {
    const { post } = build();
    expect((await post("{not json")).status).toBe(400);
    expect((await post("[]")).status).toBe(400);
    const badTtl = await post(JSON.stringify({ ...samplePush(), ttl: "60", token: "hvs.secret-looking" }));
    const rejection = await rejectionOf(badTtl);
    expect(badTtl.status).toBe(400);
    expect(rejection.error).toContain("ttl");
    expect(rejection.error).not.toContain("hvs.secret-looking");
    const badCas = await rejectionOf(
      await post(JSON.stringify({ ...samplePush(), vaultCAs: "bm90IGEgcGVt" })),
    );
    expect(badCas.error).toContain("vaultCAs");
    const missing = await rejectionOf(await post(JSON.stringify({ token: "t" })));
    for (const field of ["creationTime", "ttl", "vaultAddr", "vaultCAs"])
      expect(missing.error).toContain(field);
  });

  test("an oversize body is 413, whether declared or streamed", async () => {
    const { post, init } = build();
    const big = JSON.stringify({ ...samplePush(), padding: "x".repeat(5000) });
    expect((await post(big)).status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
        controller.close();
      },
    });
    const streamed = await init.app.request("/", {
      method: "POST",
      body: chunks,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(init.phase()).toBe("waiting");
  });

  test("unknown extra fields are ignored, as the original's decoder did", async () => {
    const { post } = build();
    expect((await post(JSON.stringify({ ...samplePush(), future: 1 }))).status).toBe(200);
  });
});

describe("the slot", () => {
  test("a refused exchange keeps waiting and a later valid push succeeds", async () => {
    let calls = 0;
    const { post, init, delivered } = build(async () => {
      calls += 1;
      return calls === 1
        ? { ok: false, refusal: { reason: "creation-path-mismatch", error: "wrong role" } }
        : SUCCESS;
    });
    const first = await post(JSON.stringify(samplePush()));
    expect(first.status).toBe(403);
    expect(init.phase()).toBe("waiting");
    const second = await post(JSON.stringify(samplePush()));
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ tokenAccessor: "ta", secretIdAccessor: "sa" });
    expect(delivered).toHaveLength(1);
    await delivered[0];
    expect(init.phase()).toBe("delivered");
    const third = await post(JSON.stringify(samplePush()));
    expect(third.status).toBe(410);
  });

  test("a push arriving during an exchange gets 409 and the first one completes", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { post, init } = build(async () => {
      await gate;
      return SUCCESS;
    });
    const first = post(JSON.stringify(samplePush()));
    while (init.phase() !== "exchanging") await Bun.sleep(1);
    const second = await post(JSON.stringify(samplePush()));
    expect(second.status).toBe(409);
    expect((await rejectionOf(second)).reason).toBe("busy");
    release();
    expect((await first).status).toBe(200);
  });

  test("5xx outcomes carry the reason and leave the slot free", async () => {
    const { post, init, logs } = build(async () => ({
      ok: false,
      refusal: { reason: "login-failed", error: "AppRole login failed: invalid secret id" },
    }));
    const response = await post(JSON.stringify(samplePush()));
    expect(response.status).toBe(502);
    expect((await rejectionOf(response)).error).toContain("invalid secret id");
    expect(init.phase()).toBe("waiting");
    expect(logs.some((line) => line.includes("login-failed") && line.includes("127.0.0.9"))).toBe(true);
  });
});
