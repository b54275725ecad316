// Tokens never appear in errors: every call is made to fail in every way we know (Vault echoing secrets in its
// errors, an HTML page echoing them, a transport error quoting the request, a malformed answer carrying them, a
// timeout), and no message, errors entry or cause may contain the controller token, wrapping token, secret_id,
// role_id or client token. Echoes hold every Vault token (any may be quoted) and the call's own secrets.
import { describe, expect, test } from "bun:test";
import type { HttpFetch } from "../../lib/runtime/index.ts";
import { createVaultClient, type VaultClient, VaultError } from "../../lib/vault/index.ts";
import { CLIENT_TOKEN, ROLE_ID, SECRET_ID, TOKEN, WRAPPING_TOKEN } from "./samples.ts";

const SECRETS = [TOKEN, WRAPPING_TOKEN, SECRET_ID, ROLE_ID, CLIENT_TOKEN];
const TOKENS_ECHO = `token ${TOKEN} wrapping ${WRAPPING_TOKEN} client ${CLIENT_TOKEN}`;
const ECHO = `${TOKENS_ECHO} secret ${SECRET_ID} role ${ROLE_ID}`;
/** Calls whose answer is not inspected (204 expected): any 2xx is success, so there is no error to check. */
const ANSWER_IGNORED = new Set(["revokeAccessor", "revokeSelf", "destroySecretIdByAccessor"]);
/** Lenient schemas (every field optional) accept the malformed document. */
const LENIENT = new Set(["readTokenRole"]);

const calls: [string, (c: VaultClient) => Promise<unknown>][] = [
  ["lookupSelf", (c) => c.lookupSelf()],
  ["renewSelf", (c) => c.renewSelf(60)],
  ["readTokenRole", (c) => c.readTokenRole("kubernetes-vault")],
  ["revokeAccessor", (c) => c.revokeAccessor("accessor")],
  ["revokeSelf", (c) => c.withToken(CLIENT_TOKEN).revokeSelf()],
  [
    "createWrappedSecretId",
    (c) =>
      c.createWrappedSecretId("r", { metadata: { pod: "p" }, cidrList: [], numUses: 1, ttlSeconds: 120 }, 60),
  ],
  ["destroySecretIdByAccessor", (c) => c.destroySecretIdByAccessor("r", "a")],
  ["lookupWrapping", (c) => c.lookupWrapping(WRAPPING_TOKEN)],
  ["unwrap", (c) => c.unwrap(WRAPPING_TOKEN)],
  ["approleLogin", (c) => c.approleLogin(ROLE_ID, SECRET_ID)],
  ["pkiIssue", (c) => c.pkiIssue("pki", "r", { common_name: "x" })],
  ["pkiCaPem", (c) => c.pkiCaPem("pki")],
  ["pkiCertCa", (c) => c.pkiCertCa("pki")],
  ["health", (c) => c.health()],
];

/** A wrong shape whose values are the secrets, for every call's answer. */
const MALFORMED = {
  data: { id: TOKEN, accessor: 1, secret_id: 7, certificate: 3, creation_path: 4, policies: ECHO },
  auth: { client_token: 5, accessor: CLIENT_TOKEN },
  wrap_info: { token: 6, ttl: ECHO },
  initialized: ECHO,
};

const failures: [string, (echo: string) => HttpFetch, "error" | "2xx"][] = [
  [
    "Vault echoes secrets in its errors (500)",
    (echo) => async () => Response.json({ errors: [echo] }, { status: 500 }),
    "error",
  ],
  [
    "Vault echoes secrets in its errors (400)",
    (echo) => async () => Response.json({ errors: [echo, `x-vault-token: ${TOKEN}`] }, { status: 400 }),
    "error",
  ],
  [
    "a proxy page echoes them",
    (echo) => async () => new Response(`<html>${echo}</html>`, { status: 502 }),
    "error",
  ],
  [
    "the transport error quotes the request",
    (echo) => async (input, init) => {
      throw new Error(
        `failed ${String(input)} headers ${JSON.stringify(init?.headers)} body ${String(init?.body)} ${echo}`,
      );
    },
    "error",
  ],
  ["a 2xx answer of the wrong shape carries them", () => async () => Response.json(MALFORMED), "2xx"],
  ["a 2xx answer that is not JSON carries them", (echo) => async () => new Response(echo), "2xx"],
  [
    "no answer at all",
    (echo) => (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error(echo)))),
    "error",
  ],
];

function everyText(error: VaultError): string {
  return [
    String(error),
    error.message,
    error.stack ?? "",
    JSON.stringify(error.errors),
    error.causeText ?? "",
    JSON.stringify(error),
  ].join("\n");
}

describe("no secret in any error", () => {
  for (const [how, failingFetch, kind] of failures)
    for (const [name, run] of calls) {
      if (kind === "2xx" && (ANSWER_IGNORED.has(name) || (LENIENT.has(name) && how.includes("shape"))))
        continue;
      test(`${name}: ${how}`, async () => {
        const client = createVaultClient({
          addr: "https://vault.test:8200",
          token: TOKEN,
          fetch: failingFetch(name === "approleLogin" ? ECHO : TOKENS_ECHO),
          timeoutMs: 20,
          retry: { attempts: 2, sleep: async () => {} },
        });
        const outcome = await run(client).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(outcome).toBeInstanceOf(VaultError);
        const text = everyText(outcome as VaultError);
        expect(text).toContain((outcome as VaultError).path);
        for (const secret of SECRETS) expect(text).not.toContain(secret);
      });
    }
});
