// createInitApp(): routing, body limits, validation and the one-push-at-a-time slot, driven with app.request().
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import {
  createInitApp,
  type ExchangeOutcome,
  type ExchangeSlot,
  MAX_PUSHES_VERIFYING,
} from "../../lib/init/index.ts";
import { type PushRejection, PushRejectionSchema, type PushRequest } from "../../lib/push/index.ts";
import { waitFor } from "../support/wait.ts";
import { quietLogger, samplePush } from "./fakes.ts";

const SUCCESS: ExchangeOutcome = {
  ok: true,
  confirmation: { tokenAccessor: "ta", secretIdAccessor: "sa" },
  paths: ["/creds/vault-token"],
};

type Exchange = (push: PushRequest, slot: ExchangeSlot) => Promise<ExchangeOutcome>;

/** As exchangePush does: verify (here `verify`), then claim the slot, then spend (here `spend`). */
function exchangeWith(
  verify: (slot: ExchangeSlot) => Promise<ExchangeOutcome | undefined> = async () => undefined,
  spend: () => Promise<ExchangeOutcome> = async () => SUCCESS,
): Exchange {
  return async (_push, slot) => {
    const refused = await verify(slot);
    if (refused) return refused;
    const busy = slot.claim();
    if (busy) return { ok: false, refusal: busy };
    return spend();
  };
}

/** A lookup that never answers until it is called off. */
const stalledLookup = (slot: ExchangeSlot) =>
  new Promise<ExchangeOutcome>((resolve) =>
    slot.cancelled.addEventListener("abort", () =>
      resolve({ ok: false, refusal: { reason: "vault-unavailable", error: "the lookup was called off" } }),
    ),
  );

function build(exchange: Exchange = exchangeWith()) {
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
    const { post, init, delivered } = build(
      exchangeWith(async () => {
        calls += 1;
        return calls === 1
          ? { ok: false, refusal: { reason: "creation-path-mismatch", error: "wrong role" } }
          : undefined;
      }),
    );
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
    const { post, init } = build(
      exchangeWith(undefined, async () => {
        await gate;
        return SUCCESS;
      }),
    );
    const first = post(JSON.stringify(samplePush()));
    await waitFor("the first push to hold the slot", () => init.phase() === "exchanging");
    const second = await post(JSON.stringify(samplePush()));
    expect(second.status).toBe(409);
    expect((await rejectionOf(second)).reason).toBe("busy");
    release();
    expect((await first).status).toBe(200);
  });

  test("a push stuck in its lookup holds no slot: a later one is verified beside it and delivers", async () => {
    let calls = 0;
    const { post, init } = build(
      exchangeWith(async (slot) => {
        calls += 1;
        return calls === 1 ? stalledLookup(slot) : undefined;
      }),
    );
    const stuck = post(JSON.stringify(samplePush()));
    await waitFor("the first push to be verifying", () => init.verifying() === 1);
    expect(init.phase()).toBe("waiting");
    const genuine = await post(JSON.stringify(samplePush()));
    expect(genuine.status).toBe(200);
    expect(init.phase()).toBe("delivered");
    // Called off by the delivery: answered 410 at once, not left hanging until its lookup deadline.
    const late = await stuck;
    expect(late.status).toBe(410);
    expect((await rejectionOf(late)).reason).toBe("already-delivered");
    expect(init.verifying()).toBe(0);
  });

  test(`at most ${MAX_PUSHES_VERIFYING} pushes are verified at once; the next gets 409 until one finishes`, async () => {
    let release: () => void = () => {};
    const gate = new Promise<undefined>((resolve) => {
      release = () => resolve(undefined);
    });
    const { post, init } = build(exchangeWith(() => gate));
    const pending = Array.from({ length: MAX_PUSHES_VERIFYING }, () => post(JSON.stringify(samplePush())));
    await waitFor("every push to be verifying", () => init.verifying() === MAX_PUSHES_VERIFYING);
    const extra = await post(JSON.stringify(samplePush()));
    expect(extra.status).toBe(409);
    expect((await rejectionOf(extra)).error).toContain(`${MAX_PUSHES_VERIFYING} pushes are being checked`);
    release();
    const statuses = (await Promise.all(pending)).map((response) => response.status).sort();
    // One takes the slot and delivers; those verified at the same moment find it taken (409) or the pod served (410).
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    for (const status of statuses) expect([200, 409, 410]).toContain(status);
    expect(init.verifying()).toBe(0);
  });

  test("an exchange that reports success without claiming the slot is refused as an internal error", async () => {
    const { post, init, logs } = build(async () => SUCCESS);
    const response = await post(JSON.stringify(samplePush()));
    expect(response.status).toBe(500);
    expect((await rejectionOf(response)).reason).toBe("internal-error");
    expect(init.phase()).toBe("waiting");
    expect(logs.some((line) => line.includes("without holding the slot"))).toBe(true);
  });

  test("5xx outcomes carry the reason and leave the slot free", async () => {
    const { post, init, logs } = build(
      exchangeWith(undefined, async () => ({
        ok: false,
        refusal: { reason: "login-failed", error: "AppRole login failed: invalid secret id" },
      })),
    );
    const response = await post(JSON.stringify(samplePush()));
    expect(response.status).toBe(502);
    expect((await rejectionOf(response)).error).toContain("invalid secret id");
    expect(init.phase()).toBe("waiting");
    expect(logs.some((line) => line.includes("login-failed") && line.includes("127.0.0.9"))).toBe(true);
  });
});
