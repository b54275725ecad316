// Adapters from lib/config, lib/kube and lib/vault to the controller's ports.
import { expect, test } from "bun:test";
import { loadControllerConfig, parseAllowList } from "../../lib/config/index.ts";
import {
  eventSinkFrom,
  policyFrom,
  reconcileSettingsFrom,
  tokenVaultFrom,
  vaultOperationsFrom,
} from "../../lib/controller/adapters/index.ts";
import { createVaultClient, VaultError } from "../../lib/vault/index.ts";

test("events carry the type our reason table gives them", () => {
  const written: unknown[][] = [];
  const sink = eventSinkFrom({ record: (...args: unknown[]) => void written.push(args) });
  const pod = { uid: "u", namespace: "n", name: "p" };
  sink.record(pod, "VaultTokenDelivered", "ok");
  sink.record(pod, "VaultPushFailed", "no");
  expect(written).toEqual([
    [pod, "VaultTokenDelivered", "ok", "Normal"],
    [pod, "VaultPushFailed", "no", "Warning"],
  ]);
});

test("policy and settings come from lib/config unchanged", () => {
  const policy = policyFrom(parseAllowList("team-a/api: web-*", "ALLOWED_ROLES"));
  expect(policy.decide({ namespace: "team-a", serviceAccount: "api", role: "web-1" }).allowed).toBe(true);
  expect(policy.decide({ namespace: "team-a", serviceAccount: "other", role: "web-1" }).allowed).toBe(false);
  expect(policy.parseAnnotations({})).toBeUndefined();
  expect(() =>
    policy.parseAnnotations({
      "pod.boostport.com/vault-approle": "web",
      "pod.boostport.com/vault-init-container": "Bad_Name",
    }),
  ).toThrow("pod.boostport.com/vault-init-container");
  const config = loadControllerConfig({
    VAULT_TOKEN: "hvs.controller-token-value",
    VAULT_ADDR: "https://vault:8200",
    KUBERNETES_NAMESPACE: "kv",
    KUBERNETES_SERVICE: "kv",
    ALLOWED_ROLES: "team-a: web",
    POD_IP: "10.0.0.5",
    POD_NAME: "kv-0",
    CLUSTER_KEY: "0123456789abcdef0123456789abcdef0123",
    WRAP_TTL: "90s",
    SECRET_ID_CIDR_BINDING: "false",
    SIDECAR_REISSUE_MARGIN: "5s",
  });
  expect(reconcileSettingsFrom(config, "PEM")).toEqual({
    vaultAddr: "https://vault:8200",
    vaultCaPem: "PEM",
    wrapTtlSeconds: 90,
    secretIdTtlSeconds: 150,
    cidrBinding: false,
    revokeOnDelete: true,
    sidecarReissueMarginMs: 5_000,
  });
});

test("Vault calls map onto lib/vault and its refusals are recognised", async () => {
  const seen: string[] = [];
  const client = createVaultClient({
    addr: "https://vault.test:8200",
    token: "t",
    retry: { attempts: 1 },
    fetch: async (input, init) => {
      const path = new URL(String(input)).pathname;
      seen.push(`${init?.method ?? "GET"} ${path}`);
      if (path.endsWith("renew-self"))
        return Response.json({
          auth: { accessor: "a", lease_duration: 3600, renewable: true, policies: [] },
        });
      return Response.json({ errors: ["permission denied"] }, { status: 403 });
    },
  });
  expect(await tokenVaultFrom(client).renewSelf()).toEqual({ ttlSeconds: 3600 });
  const operations = vaultOperationsFrom(client);
  const error = await operations.revokeAccessor("acc").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(VaultError);
  expect(operations.refusalOf(error)).toEqual({ status: 403, errors: ["permission denied"] });
  expect(operations.refusalOf(new Error("ECONNREFUSED"))).toBeUndefined();
  expect(seen).toEqual(["POST /v1/auth/token/renew-self", "POST /v1/auth/token/revoke-accessor"]);
});
